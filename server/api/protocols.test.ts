import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { LogStream } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { type PipelineProgress, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { type WorkerEventType, WorkerPhase } from "../../gen/ottoscaler/v1/worker_pb.js";
import { collect, protocols, startTestServer, type TestServer } from "../testing/test-server.ts";
import { Waiter } from "../testing/waiter.ts";

interface StageInit {
  id: string;
  command: string[];
  dependsOn?: string[];
  workers?: number;
  env?: Record<string, string>;
  retry?: { maxAttempts?: number; initialBackoffMs?: number; maxBackoffMs?: number };
  timeoutSeconds?: number;
}

function stage(
  id: string,
  command: string,
  extra: Omit<StageInit, "id" | "command"> = {},
): StageInit {
  return { id, command: [command], ...extra };
}

/** Index of the first event for `stageId` with `status`; -1 when absent. */
function indexOf(events: PipelineProgress[], stageId: string, status: PipelineStatus): number {
  return events.findIndex((e) => e.stageId === stageId && e.status === status);
}

function finalEvent(events: PipelineProgress[]): PipelineProgress {
  const last = events.at(-1);
  assert.ok(last, "the stream had no events");
  assert.equal(last.stageId, "", "the last event is pipeline-level");
  return last;
}

function stageStatus(events: PipelineProgress[], stageId: string): PipelineStatus | undefined {
  return events.filter((e) => e.stageId === stageId).at(-1)?.status;
}

async function expectCode(promise: Promise<unknown>, code: Code, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ConnectError, `expected a ConnectError, got ${error}`);
    assert.equal(Code[error.code], Code[code], error.message);
    assert.match(error.rawMessage, pattern);
    return true;
  });
}

for (const protocol of protocols) {
  describe(`over ${protocol}`, () => {
    let t: TestServer;
    let clients: ReturnType<TestServer["clients"]>;

    before(async () => {
      t = await startTestServer({
        OTTOSCALER_MAX_STAGES: "100",
        OTTOSCALER_MAX_WORKERS_PER_STAGE: "50",
      });
      clients = t.clients(protocol);
    });
    after(() => t[Symbol.asyncDispose]());

    it("runs a diamond DAG in dependency order, its middle stages in parallel", async () => {
      const events = await collect(
        clients.ottoscaler.executePipeline({
          name: "diamond",
          stages: [
            stage("a", "echo a"),
            stage("b", "sleep 0.3", { dependsOn: ["a"] }),
            stage("c", "sleep 0.3", { dependsOn: ["a"] }),
            stage("d", "echo d", { dependsOn: ["b", "c"] }),
          ],
        }),
      );
      assert.equal(finalEvent(events).status, PipelineStatus.SUCCEEDED);
      const aDone = indexOf(events, "a", PipelineStatus.SUCCEEDED);
      for (const mid of ["b", "c"]) {
        assert.ok(aDone < indexOf(events, mid, PipelineStatus.RUNNING), `${mid} starts after a`);
        assert.ok(
          indexOf(events, mid, PipelineStatus.SUCCEEDED) <
            indexOf(events, "d", PipelineStatus.RUNNING),
        );
      }
      // b and c overlap: each starts before the other finishes.
      assert.ok(
        indexOf(events, "b", PipelineStatus.RUNNING) <
          indexOf(events, "c", PipelineStatus.SUCCEEDED),
      );
      assert.ok(
        indexOf(events, "c", PipelineStatus.RUNNING) <
          indexOf(events, "b", PipelineStatus.SUCCEEDED),
      );
      assert.deepEqual(
        events.map((e) => Number(e.sequence)),
        events.map((_, i) => i + 1),
      );
      const last = finalEvent(events);
      assert.equal(last.completedStages, 4);
      assert.equal(last.totalStages, 4);
    });

    it("retries a failing stage with backoff until it succeeds", async () => {
      const events = await collect(
        clients.ottoscaler.executePipeline({
          stages: [
            stage(
              "flaky",
              'test -f "$OTTOSCALER_WORKSPACE/tried-once" && exit 0; touch "$OTTOSCALER_WORKSPACE/tried-once"; exit 1',
              { retry: { maxAttempts: 3, initialBackoffMs: 50 } },
            ),
          ],
        }),
      );
      const retrying = events.find((e) => e.status === PipelineStatus.RETRYING);
      assert.ok(retrying);
      assert.equal(retrying.attempt, 1);
      assert.match(retrying.message, /exit code 1/);
      const succeeded = events.find(
        (e) => e.stageId === "flaky" && e.status === PipelineStatus.SUCCEEDED,
      );
      assert.equal(succeeded?.attempt, 2);
      assert.equal(finalEvent(events).status, PipelineStatus.SUCCEEDED);
    });

    it("skips the dependents of a stage that exhausts its retries while an independent branch succeeds", async () => {
      const events = await collect(
        clients.ottoscaler.executePipeline({
          stages: [
            stage("broken", "exit 3", { retry: { maxAttempts: 2, initialBackoffMs: 20 } }),
            stage("after-broken", "echo never", { dependsOn: ["broken"] }),
            stage("after-that", "echo never", { dependsOn: ["after-broken"] }),
            stage("independent", "sleep 0.2; echo fine"),
          ],
        }),
      );
      const failed = events.find(
        (e) => e.stageId === "broken" && e.status === PipelineStatus.FAILED,
      );
      assert.equal(failed?.attempt, 2);
      assert.match(failed?.message ?? "", /exit code 3/);
      assert.equal(events.filter((e) => e.status === PipelineStatus.RETRYING).length, 1);
      assert.equal(stageStatus(events, "after-broken"), PipelineStatus.SKIPPED);
      assert.equal(stageStatus(events, "after-that"), PipelineStatus.SKIPPED);
      assert.equal(stageStatus(events, "independent"), PipelineStatus.SUCCEEDED);
      assert.equal(indexOf(events, "after-broken", PipelineStatus.RUNNING), -1);
      assert.equal(finalEvent(events).status, PipelineStatus.FAILED);
    });

    it("fails an attempt that runs past its timeout and stops its workers", async () => {
      const events = await collect(
        clients.ottoscaler.executePipeline({
          stages: [stage("slow", "sleep 30", { timeoutSeconds: 1 })],
        }),
      );
      const failed = events.find((e) => e.stageId === "slow" && e.status === PipelineStatus.FAILED);
      assert.match(failed?.message ?? "", /timed out after 1s/);
      assert.equal(finalEvent(events).status, PipelineStatus.FAILED);
      const { workers } = await clients.ottoscaler.getWorkerStatus({
        pipelineId: failed?.pipelineId ?? "",
      });
      assert.equal(workers[0]?.phase, WorkerPhase.STOPPED);
      assert.match(workers[0]?.reason ?? "", /timed out/);
    });

    it("cancels a running pipeline, stopping its workers", async () => {
      const stream = clients.ottoscaler.executePipeline({
        stages: [
          stage("long", "sleep 30", { workers: 2 }),
          stage("later", "echo x", { dependsOn: ["long"] }),
        ],
      });
      const events: PipelineProgress[] = [];
      for await (const event of stream) {
        events.push(event);
        if (event.stageId === "long" && event.status === PipelineStatus.RUNNING) {
          const res = await clients.ottoscaler.cancelPipeline({
            pipelineId: event.pipelineId,
            reason: "test",
          });
          assert.equal(res.pipeline?.pipelineId, event.pipelineId);
          // It answers once the pipeline has really ended.
          assert.equal(res.pipeline?.status, PipelineStatus.CANCELLED);
        }
      }
      assert.equal(finalEvent(events).status, PipelineStatus.CANCELLED);
      assert.equal(stageStatus(events, "long"), PipelineStatus.CANCELLED);
      assert.equal(stageStatus(events, "later"), PipelineStatus.CANCELLED);
      const pipelineId = events[0]?.pipelineId ?? "";
      const { workers } = await clients.ottoscaler.getWorkerStatus({ pipelineId });
      assert.deepEqual(
        workers.map((w) => w.phase),
        [WorkerPhase.STOPPED, WorkerPhase.STOPPED],
      );
      await expectCode(
        clients.ottoscaler.cancelPipeline({ pipelineId }),
        Code.FailedPrecondition,
        /already ended/,
      );
    });

    it("keeps a pipeline running after its client leaves, and replays it to WatchPipeline", async () => {
      const controller = new AbortController();
      const pipelineId = `reattach-${protocol}`;
      const stream = clients.ottoscaler.executePipeline(
        {
          pipelineId,
          stages: [stage("one", "sleep 0.3"), stage("two", "echo two", { dependsOn: ["one"] })],
        },
        { signal: controller.signal },
      );
      for await (const event of stream) {
        if (event.status === PipelineStatus.RUNNING && event.stageId === "one") break;
      }
      controller.abort();
      const events = await collect(clients.ottoscaler.watchPipeline({ pipelineId }));
      assert.equal(Number(events[0]?.sequence), 1);
      assert.equal(events[0]?.status, PipelineStatus.QUEUED);
      assert.equal(stageStatus(events, "two"), PipelineStatus.SUCCEEDED);
      assert.equal(finalEvent(events).status, PipelineStatus.SUCCEEDED);
      const { pipelines } = await clients.ottoscaler.listPipelines({});
      assert.equal(
        pipelines.find((p) => p.pipelineId === pipelineId)?.status,
        PipelineStatus.SUCCEEDED,
      );
    });

    it("gives a late StreamBuildLogs subscriber every line in order, with no gaps", async () => {
      const pipelineId = `logs-${protocol}`;
      await collect(
        clients.ottoscaler.executePipeline({
          pipelineId,
          stages: [
            stage("count", 'for i in $(seq 1 500); do echo "line $i"; done', { workers: 2 }),
            stage("errors", 'echo "to stderr" >&2', { dependsOn: ["count"] }),
          ],
        }),
      );
      const entries = await collect(clients.logs.streamBuildLogs({ pipelineId }));
      const byWorker = new Map<string, string[]>();
      for (const { entry } of entries) {
        assert.ok(entry);
        const lines = byWorker.get(entry.workerId) ?? [];
        assert.equal(Number(entry.sequence), lines.length + 1, `no gap for ${entry.workerId}`);
        lines.push(entry.line);
        byWorker.set(entry.workerId, lines);
      }
      const expected = Array.from({ length: 500 }, (_, i) => `line ${i + 1}`);
      assert.deepEqual(byWorker.get(`${pipelineId}.count.a1.w0`), expected);
      assert.deepEqual(byWorker.get(`${pipelineId}.count.a1.w1`), expected);
      const stderr = entries.find((e) => e.stageId === "errors")?.entry;
      assert.equal(stderr?.stream, LogStream.STDERR);
      const onlyErrors = await collect(
        clients.logs.streamBuildLogs({ pipelineId, stageId: "errors" }),
      );
      assert.deepEqual(
        onlyErrors.map((e) => e.entry?.line),
        ["to stderr"],
      );
      const worker = await collect(
        clients.logs.streamWorkerLogs({ workerId: `${pipelineId}.count.a1.w1` }),
      );
      assert.deepEqual(
        worker.map((e) => e.line),
        expected,
      );
    });

    it("follows a build's logs live from the first line until the pipeline ends", async () => {
      const pipelineId = `follow-${protocol}`;
      const run = collect(
        clients.ottoscaler.executePipeline({
          pipelineId,
          stages: [stage("talk", "echo first; sleep 0.3; echo second")],
        }),
      );
      const entries = await collect(clients.logs.streamBuildLogs({ pipelineId, follow: true }));
      assert.deepEqual(
        entries.map((e) => e.entry?.line),
        ["first", "second"],
      );
      await run;
    });

    it("scales a task up to 3 running workers and down to 1, stopping the 2 newest", async () => {
      const taskId = `scale-${protocol}`;
      const watch = new AbortController();
      const seen: { id: string; phase: WorkerPhase; type: WorkerEventType }[] = [];
      const changed = new Waiter();
      const count = (phase: WorkerPhase) =>
        new Set(seen.filter((s) => s.phase === phase).map((s) => s.id)).size;
      const watching = (async () => {
        try {
          for await (const e of clients.ottoscaler.watchWorkers(
            { taskId },
            { signal: watch.signal },
          )) {
            if (!e.worker) continue;
            seen.push({ id: e.worker.workerId, phase: e.worker.phase, type: e.type });
            changed.notify();
          }
        } catch (error) {
          if (!watch.signal.aborted) throw error;
        }
      })();
      const up = await clients.ottoscaler.scaleUp({
        taskId,
        workerCount: 3,
        command: ["sleep", "30"],
      });
      assert.equal(up.workers.length, 3);
      await changed.until(() => count(WorkerPhase.RUNNING) === 3);
      const status = await clients.ottoscaler.getWorkerStatus({ taskId });
      assert.deepEqual(
        status.workers.map((w) => w.phase),
        [WorkerPhase.RUNNING, WorkerPhase.RUNNING, WorkerPhase.RUNNING],
      );
      const down = await clients.ottoscaler.scaleDown({ taskId, workerCount: 2 });
      assert.deepEqual(down.changedWorkerIds, [`${taskId}.w2`, `${taskId}.w1`]);
      const phases = Object.fromEntries(down.workers.map((w) => [w.workerId, w.phase]));
      assert.deepEqual(phases, {
        [`${taskId}.w0`]: WorkerPhase.RUNNING,
        [`${taskId}.w1`]: WorkerPhase.STOPPED,
        [`${taskId}.w2`]: WorkerPhase.STOPPED,
      });
      // The watch saw each worker go PENDING → RUNNING, and the two newest → STOPPED.
      await changed.until(() => count(WorkerPhase.STOPPED) === 2);
      watch.abort();
      await watching;
      for (const i of [0, 1, 2]) {
        const phases = seen.filter((s) => s.id === `${taskId}.w${i}`).map((s) => s.phase);
        assert.deepEqual(phases.slice(0, 2), [WorkerPhase.PENDING, WorkerPhase.RUNNING]);
      }
      assert.deepEqual(
        seen
          .filter((s) => s.phase === WorkerPhase.STOPPED)
          .map((s) => s.id)
          .sort(),
        [`${taskId}.w1`, `${taskId}.w2`],
      );
      await clients.ottoscaler.scaleDown({ taskId, workerCount: 1 });
    });

    it("rejects bad pipelines with InvalidArgument naming the field, and keeps serving", async () => {
      const bad: [StageInit[], RegExp][] = [
        [[], /^stages: a pipeline needs at least one stage/],
        [
          [stage("a", "true"), stage("b", "true", { dependsOn: ["deploy"] })],
          /stages\[1\]\.dependsOn\[0\]: unknown stage "deploy"/,
        ],
        [
          [
            stage("a", "true", { dependsOn: ["c"] }),
            stage("b", "true", { dependsOn: ["a"] }),
            stage("c", "true", { dependsOn: ["b"] }),
          ],
          /stages: dependency cycle: a → c → b → a/,
        ],
        [[stage("a", "true", { workers: 0 })], /stages\[0\]\.workers: must be at least 1, got 0/],
        [[stage("a", "true", { workers: 51 })], /stages\[0\]\.workers: 51 is over the limit of 50/],
        [[stage("a", "true"), stage("a", "true")], /stages\[1\]\.id: duplicate stage id "a"/],
        [[stage("Bad_Id", "true")], /stages\[0\]\.id: "Bad_Id" must be lower-case/],
        [[stage("a", "")], /stages\[0\]\.command: is required/],
        [
          Array.from({ length: 10_000 }, (_, i) => stage(`s${i}`, "true")),
          /stages: 10000 stages is over the limit of 100/,
        ],
      ];
      for (const [stages, pattern] of bad) {
        await expectCode(
          collect(clients.ottoscaler.executePipeline({ stages })),
          Code.InvalidArgument,
          pattern,
        );
      }
      await expectCode(
        clients.ottoscaler.scaleUp({ taskId: "t", workerCount: 0, command: ["true"] }),
        Code.InvalidArgument,
        /workerCount: must be at least 1/,
      );
      await expectCode(
        collect(clients.ottoscaler.watchPipeline({ pipelineId: "nope" })),
        Code.NotFound,
        /no pipeline "nope"/,
      );
      const { workers } = await clients.ottoscaler.getWorkerStatus({});
      assert.ok(Array.isArray(workers), "still serving");
    });
  });
}

describe("the worker cap", () => {
  it("never runs more than OTTOSCALER_MAX_WORKERS workers at once, measured inside the workers", async () => {
    await using t = await startTestServer({
      OTTOSCALER_MAX_WORKERS: "20",
      OTTOSCALER_MAX_WORKERS_PER_STAGE: "200",
    });
    const { ottoscaler } = t.clients("grpc");
    const out = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-cap-"));
    const record =
      's=$(date +%s%N); sleep 0.05; e=$(date +%s%N); echo "$s $e" > "$OUT/$OTTOSCALER_WORKER_ID"';
    const pipeline = (id: string, workers: number) =>
      collect(
        ottoscaler.executePipeline({
          pipelineId: id,
          stages: [stage("wide", record, { workers, env: { OUT: out } })],
        }),
      );
    const [wide, other] = await Promise.all([pipeline("cap-wide", 150), pipeline("cap-other", 30)]);
    assert.equal(finalEvent(wide).status, PipelineStatus.SUCCEEDED);
    assert.equal(finalEvent(other).status, PipelineStatus.SUCCEEDED);
    const files = await readdir(out);
    assert.equal(files.filter((f) => f.startsWith("cap-wide.")).length, 150);
    assert.equal(files.filter((f) => f.startsWith("cap-other.")).length, 30);
    const points: [bigint, number][] = [];
    for (const f of files) {
      const [s, e] = (await readFile(path.join(out, f), "utf8")).trim().split(" ");
      points.push([BigInt(s ?? "0"), 1], [BigInt(e ?? "0"), -1]);
    }
    // Ends sort before starts at the same instant: touching is not overlapping.
    points.sort((x, y) => (x[0] === y[0] ? x[1] - y[1] : x[0] < y[0] ? -1 : 1));
    let now = 0;
    let peak = 0;
    for (const [, delta] of points) {
      now += delta;
      peak = Math.max(peak, now);
    }
    assert.ok(peak <= 20, `at most 20 workers overlapped, saw ${peak}`);
    assert.ok(peak > 1, `workers ran in parallel, saw ${peak}`);
  });
});

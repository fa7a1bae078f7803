import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ForwardingState } from "../../../gen/ottoscaler/v1/log_streaming_pb.js";
import { PipelineStatus } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { WorkerPhase } from "../../../gen/ottoscaler/v1/worker_pb.js";
import { type HandlerProcess, startHandler } from "../../dev/otto-handler/handler-process.ts";
import {
  type ControllerProcess,
  rssMiB,
  startController,
} from "../../testing/controller-process.ts";
import { caughtUp, forwardingWhen } from "../../testing/forwarding-status.ts";
import {
  assertStatusesComplete,
  assertWorkerEventsComplete,
  assertWorkerLogsComplete,
  readDelivered,
} from "../../testing/handler-output.ts";
import { collect } from "../../testing/test-server.ts";

const workers = 20;
const linesPerWorker = 10_000;
const lineOf = (worker: number) => (sequence: number) => `worker ${worker} line ${sequence}`;

/** Prints `lines` numbered lines, in `chunks` bursts spread over about `seconds`. */
function emitCommand(lines: number, chunks = 1, seconds = 0): string {
  const per = lines / chunks;
  const pause = chunks > 1 ? seconds / chunks : 0;
  return [
    `i=0; while [ $i -lt ${chunks} ]; do`,
    `seq -f "worker $OTTOSCALER_WORKER_INDEX line %.0f" $((i*${per}+1)) $((i*${per}+${per}));`,
    pause > 0 ? `sleep ${pause};` : "",
    "i=$((i+1)); done",
  ].join(" ");
}

function expectedLogs(pipelineId: string, count = linesPerWorker) {
  return new Map(
    Array.from({ length: workers }, (_, w) => [
      `${pipelineId}.emit.a1.w${w}`,
      { count, lineOf: lineOf(w) },
    ]),
  );
}

async function tempDir(name: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `ottoscaler-${name}-`));
}

function controllerEnv(dataDir: string, handler: HandlerProcess): Record<string, string> {
  return {
    OTTOSCALER_DATA_DIR: dataDir,
    OTTO_HANDLER_URL: `http://127.0.0.1:${handler.port}`,
    OTTO_HANDLER_MAX_BACKOFF_MS: "1000",
    OTTOSCALER_MAX_WORKERS: String(workers),
  };
}

function emitPipeline(pipelineId: string, command: string) {
  return { pipelineId, stages: [{ id: "emit", workers, command: [command] }] };
}

describe("forwarding to Otto-handler (reference handler, local executor)", {
  concurrency: 1,
}, () => {
  it("delivers 20 workers x 10,000 lines, each line once and in order per worker", async (t) => {
    const out = path.join(await tempDir("handler"), "out.jsonl");
    await using handler = await startHandler(["--out", out]);
    const controller = await startController(controllerEnv(await tempDir("data"), handler));
    t.after(() => controller.stop("SIGKILL"));
    const events = await collect(
      controller.ottoscaler.executePipeline(emitPipeline("bulk", emitCommand(linesPerWorker))),
    );
    assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED);
    await forwardingWhen(
      controller.logStreaming,
      caughtUp(workers * linesPerWorker + events.length),
    );
    const delivered = await readDelivered(out);
    assertWorkerLogsComplete(delivered, expectedLogs("bulk"));
    const statuses = assertStatusesComplete(delivered, "bulk");
    assert.equal(statuses.length, events.length);
    assert.equal(statuses.at(-1)?.status, "PIPELINE_STATUS_SUCCEEDED");
  });

  it("delivers everything, in order, when Otto-handler is down for 10 seconds in the middle", async (t) => {
    const out = path.join(await tempDir("handler"), "out.jsonl");
    let handler = await startHandler(["--out", out, "--log-level", "debug"]);
    const port = handler.port;
    const controller = await startController(controllerEnv(await tempDir("data"), handler));
    t.after(async () => {
      await controller.stop("SIGKILL");
      await handler.stop("SIGKILL");
    });
    const run = collect(
      controller.ottoscaler.executePipeline(
        emitPipeline("outage", emitCommand(linesPerWorker, 40, 20)),
      ),
    );
    await handler.waitForLog("callAnswered");
    await handler.stop("SIGKILL");
    const rss: number[] = [];
    const sampler = setInterval(() => void rssMiB(controller.pid).then((m) => rss.push(m)), 200);
    // The outage itself: a fixed 10 s, as the scenario asks, while the build goes on.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    clearInterval(sampler);
    const during = (await controller.logStreaming.getLogForwardingStatus({})).destinations[0];
    assert.equal(during?.state, ForwardingState.BACKING_OFF);
    assert.ok((during?.lagEntries ?? 0n) > 0n, "entries wait on disk");
    assert.ok((during?.lagSeconds ?? 0) > 5, `lag seconds ${during?.lagSeconds}`);
    assert.notEqual(during?.lastError, "");
    handler = await startHandler(["--out", out, "--port", String(port)]);
    const events = await run;
    assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED);
    await forwardingWhen(
      controller.logStreaming,
      caughtUp(workers * linesPerWorker + events.length),
    );
    assertWorkerLogsComplete(await readDelivered(out), expectedLogs("outage"));
    assert.ok(
      controller.logs.some((l) => l.event === "forwardingResumed"),
      "says when delivery resumes",
    );
    t.diagnostic(
      `controller RSS while Otto-handler was down: peak ${Math.max(...rss).toFixed(0)} MiB, ` +
        `lag at the end of the outage ${during?.lagEntries} entries`,
    );
  });

  it("delivers everything, in order, when the controller is killed (SIGKILL) while delivering", async (t) => {
    const out = path.join(await tempDir("handler"), "out.jsonl");
    // A slow handler, so that delivery is still going on once the build is over.
    await using handler = await startHandler(["--out", out, "--delay-ms", "25"]);
    const dataDir = await tempDir("data");
    const env = { ...controllerEnv(dataDir, handler), OTTO_HANDLER_BATCH_ENTRIES: "500" };
    const first = await startController(env);
    t.after(() => first.stop("SIGKILL"));
    const events = await collect(
      first.ottoscaler.executePipeline(emitPipeline("killed", emitCommand(linesPerWorker))),
    );
    assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED);
    const before = (await first.logStreaming.getLogForwardingStatus({})).destinations[0];
    assert.ok((before?.lagEntries ?? 0n) > 0n, "still delivering when killed");
    assert.equal(await first.stop("SIGKILL"), "SIGKILL");
    const second = await startController(env);
    t.after(() => second.stop("SIGKILL"));
    await forwardingWhen(second.logStreaming, caughtUp(workers * linesPerWorker + events.length));
    const delivered = await readDelivered(out);
    assertWorkerLogsComplete(delivered, expectedLogs("killed"));
    assert.equal(assertStatusesComplete(delivered, "killed").length, events.length);
  });

  it("after a SIGKILL in the middle of a build, delivers every line recorded before it and the pipeline's end", async (t) => {
    const out = path.join(await tempDir("handler"), "out.jsonl");
    await using handler = await startHandler(["--out", out, "--log-level", "debug"]);
    const dataDir = await tempDir("data");
    const first = await startController(controllerEnv(dataDir, handler));
    t.after(() => first.stop("SIGKILL"));
    const stream = first.ottoscaler.executePipeline(
      emitPipeline("crashed", emitCommand(linesPerWorker, 40, 20)),
    );
    const running = (async () => {
      for await (const event of stream)
        if (event.stageId === "emit" && event.status === PipelineStatus.RUNNING) return;
    })();
    await running;
    await handler.waitForLog("callAnswered");
    await first.stop("SIGKILL");
    const second = await startController(controllerEnv(dataDir, handler));
    t.after(() => second.stop("SIGKILL"));
    await second.waitForLog("pipelineInterrupted", (l) => l.pipelineId === "crashed");
    await forwardingWhen(second.logStreaming, caughtUp(1));
    const delivered = await readDelivered(out);
    // What the journal kept is exactly what arrived: every worker from line 1, no gap.
    for (let w = 0; w < workers; w++) {
      const workerId = `crashed.emit.a1.w${w}`;
      const kept = await collect(second.logStreaming.streamWorkerLogs({ workerId }));
      const arrived = delivered.logs.get(workerId) ?? [];
      assert.deepEqual(
        arrived.map((e) => e.sequence),
        kept.map((e) => Number(e.sequence)),
        workerId,
      );
      assert.deepEqual(
        kept.map((e) => Number(e.sequence)),
        kept.map((_, i) => i + 1),
      );
    }
    const statuses = assertStatusesComplete(delivered, "crashed");
    assert.equal(statuses.at(-1)?.status, "PIPELINE_STATUS_CANCELLED");
    assert.match(statuses.at(-1)?.message ?? "", /interrupted/);
  });

  it("forwards every status change of ScaleUp workers, numbered per task, and goes on numbering after a restart", async (t) => {
    const out = path.join(await tempDir("handler"), "out.jsonl");
    await using handler = await startHandler(["--out", out]);
    const env = controllerEnv(await tempDir("data"), handler);
    const first = await startController(env);
    t.after(() => first.stop("SIGKILL"));
    const farm = watchPhases(first, "farm");
    await first.ottoscaler.scaleUp({ taskId: "farm", workerCount: 2, command: ["sleep 60"] });
    await farm.until("farm.w0", WorkerPhase.RUNNING);
    await farm.until("farm.w1", WorkerPhase.RUNNING);
    await first.ottoscaler.scaleDown({ taskId: "farm", workerCount: 2 });
    await first.ottoscaler.scaleUp({ taskId: "farm", workerCount: 1, command: ["echo done"] });
    await farm.until("farm.w2", WorkerPhase.SUCCEEDED);
    assert.equal(await first.stop("SIGTERM"), 0);
    // A new process: its numbers must not start again at 1, or Otto-handler would drop its
    // events as duplicates of the first process's.
    const second = await startController(env);
    t.after(() => second.stop("SIGKILL"));
    const again = watchPhases(second, "farm");
    await second.ottoscaler.scaleUp({ taskId: "farm", workerCount: 1, command: ["echo again"] });
    await again.until("farm.w3", WorkerPhase.SUCCEEDED);
    await forwardingWhen(second.logStreaming, caughtUp(4 * 3 + 2));
    const delivered = await readDelivered(out);
    const events = assertWorkerEventsComplete(delivered, "farm");
    const phases = (workerId: string) =>
      events.filter((e) => e.workerId === workerId).map((e) => e.phase);
    const stopped = ["WORKER_PHASE_PENDING", "WORKER_PHASE_RUNNING", "WORKER_PHASE_STOPPED"];
    const succeeded = ["WORKER_PHASE_PENDING", "WORKER_PHASE_RUNNING", "WORKER_PHASE_SUCCEEDED"];
    assert.deepEqual(phases("farm.w0"), stopped);
    assert.deepEqual(phases("farm.w1"), stopped);
    assert.deepEqual(phases("farm.w2"), succeeded);
    assert.deepEqual(phases("farm.w3"), succeeded);
    assert.deepEqual(
      events.slice(-3).map((e) => [e.sequence, e.workerId]),
      [
        [10, "farm.w3"],
        [11, "farm.w3"],
        [12, "farm.w3"],
      ],
    );
    assertWorkerLogsComplete(
      delivered,
      new Map([
        ["farm.w2", { count: 1, lineOf: () => "done" }],
        ["farm.w3", { count: 1, lineOf: () => "again" }],
      ]),
    );
  });
});

/** Follows a task's workers (WatchWorkers); `until` resolves once a worker has reached a phase. */
function watchPhases(controller: ControllerProcess, taskId: string) {
  const reached = new Map<string, Set<WorkerPhase>>();
  const waiting = new Set<() => void>();
  const watch = controller.ottoscaler.watchWorkers({ taskId });
  void (async () => {
    try {
      for await (const { worker } of watch) {
        if (worker === undefined) continue;
        const phases = reached.get(worker.workerId) ?? new Set();
        reached.set(worker.workerId, phases.add(worker.phase));
        for (const check of waiting) check();
      }
    } catch {
      // The controller stopped: whoever still waits fails on the test's timeout.
    }
  })();
  return {
    until(workerId: string, phase: WorkerPhase): Promise<void> {
      return new Promise((resolve) => {
        const check = () => {
          if (!reached.get(workerId)?.has(phase)) return;
          waiting.delete(check);
          resolve();
        };
        waiting.add(check);
        check();
      });
    },
  };
}

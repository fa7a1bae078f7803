import assert from "node:assert/strict";
import { appendFile, mkdtemp, readdir, stat, truncate, utimes } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { LogStream } from "../../../gen/ottoscaler/v1/log_streaming_pb.js";
import { PipelineStatus } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { WorkerPhase } from "../../../gen/ottoscaler/v1/worker_pb.js";
import { type ControllerProcess, startController } from "../../testing/controller-process.ts";
import { collect, startTestServer } from "../../testing/test-server.ts";

const journalOf = (dataDir: string, pipelineId: string) =>
  path.join(dataDir, "builds", "pipeline", pipelineId, "journal");

/** A pipeline of `workers` workers that print `lines` numbered lines each. */
function linesPipeline(pipelineId: string, workers: number, lines: number) {
  return {
    pipelineId,
    stages: [
      {
        id: "print",
        workers,
        command: [`seq -f "w$OTTOSCALER_WORKER_INDEX line %.0f" 1 ${lines}`],
      },
    ],
  };
}

async function run(controller: ControllerProcess, request: ReturnType<typeof linesPipeline>) {
  const events = await collect(controller.ottoscaler.executePipeline(request));
  assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED);
  return events;
}

/** Per worker, the lines of a build log in order. */
function byWorker(entries: { entry?: { workerId: string; line: string } | undefined }[]) {
  const out = new Map<string, string[]>();
  for (const { entry } of entries) {
    if (entry === undefined) continue;
    const list = out.get(entry.workerId) ?? [];
    list.push(entry.line);
    out.set(entry.workerId, list);
  }
  return out;
}

const numbered = (worker: number, lines: number) =>
  Array.from({ length: lines }, (_, i) => `w${worker} line ${i + 1}`);

describe("durable build logs", { concurrency: 1 }, () => {
  it("serves a build that finished before a controller restart: every line, every event, its summary", async (t) => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-data-"));
    const first = await startController({ OTTOSCALER_DATA_DIR: dataDir });
    t.after(() => first.stop("SIGKILL"));
    const events = await run(first, linesPipeline("before-restart", 5, 20_000));
    // Not a clean stop: nothing gets a chance to flush or seal anything more.
    await first.stop("SIGKILL");
    const second = await startController({ OTTOSCALER_DATA_DIR: dataDir });
    t.after(() => second.stop("SIGKILL"));
    const { logStreaming, ottoscaler } = second;
    const build = await collect(logStreaming.streamBuildLogs({ pipelineId: "before-restart" }));
    assert.equal(build.length, 100_000);
    const workers = byWorker(build);
    for (let w = 0; w < 5; w++) {
      assert.deepEqual(workers.get(`before-restart.print.a1.w${w}`), numbered(w, 20_000));
    }
    const one = await collect(
      logStreaming.streamWorkerLogs({ workerId: "before-restart.print.a1.w3", follow: true }),
    );
    assert.deepEqual(
      one.map((e) => e.line),
      numbered(3, 20_000),
    );
    const replayed = await collect(ottoscaler.watchPipeline({ pipelineId: "before-restart" }));
    assert.deepEqual(
      replayed.map((e) => [e.sequence, e.stageId, e.status]),
      events.map((e) => [e.sequence, e.stageId, e.status]),
    );
    const { pipelines } = await ottoscaler.listPipelines({});
    const summary = pipelines.find((p) => p.pipelineId === "before-restart");
    assert.equal(summary?.status, PipelineStatus.SUCCEEDED);
    assert.deepEqual(
      summary?.stages.map((s) => [s.id, s.status]),
      [["print", PipelineStatus.SUCCEEDED]],
    );
    // The id stays taken: a new pipeline cannot overwrite a stored one.
    await assert.rejects(
      collect(ottoscaler.executePipeline(linesPipeline("before-restart", 1, 1))),
      (e: unknown) => e instanceof ConnectError && e.code === Code.AlreadyExists,
    );
  });

  it("cuts off a truncated or corrupted journal tail on start with a warning, and serves everything before it", async (t) => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-data-"));
    const first = await startController({ OTTOSCALER_DATA_DIR: dataDir });
    t.after(() => first.stop("SIGKILL"));
    await run(first, linesPipeline("truncated", 2, 500));
    await run(first, linesPipeline("garbage", 2, 500));
    await first.stop("SIGTERM");
    // A crash mid-write: the journal ends inside its last record (the pipeline's final event).
    const truncated = journalOf(dataDir, "truncated");
    await truncate(truncated, (await stat(truncated)).size - 5);
    // A torn write: a frame header that promises more than follows, with a wrong checksum.
    const garbage = journalOf(dataDir, "garbage");
    const sizeBefore = (await stat(garbage)).size;
    await appendFile(garbage, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 9, 9, 9]));

    const second = await startController({ OTTOSCALER_DATA_DIR: dataDir });
    t.after(() => second.stop("SIGKILL"));
    const warnings = second.logs.filter((l) => l.event === "journalDamaged");
    assert.deepEqual(warnings.map((w) => w.build).sort(), [
      "pipeline/garbage",
      "pipeline/truncated",
    ]);
    for (const warning of warnings) assert.equal(warning.level, 40, "logged as a warning");
    assert.equal((await stat(garbage)).size, sizeBefore, "the garbage is cut off");
    const kept = await readdir(path.dirname(garbage));
    assert.ok(
      kept.some((f) => f.startsWith("journal.damaged-at-")),
      "the damaged bytes are kept aside",
    );

    for (const pipelineId of ["truncated", "garbage"]) {
      const build = await collect(second.logStreaming.streamBuildLogs({ pipelineId }));
      const workers = byWorker(build);
      assert.deepEqual(workers.get(`${pipelineId}.print.a1.w0`), numbered(0, 500), pipelineId);
      assert.deepEqual(workers.get(`${pipelineId}.print.a1.w1`), numbered(1, 500), pipelineId);
    }
    // The final event of "truncated" was what got cut: it ends as interrupted, not silently open.
    const truncatedEvents = await collect(
      second.ottoscaler.watchPipeline({ pipelineId: "truncated" }),
    );
    assert.equal(truncatedEvents.at(-1)?.status, PipelineStatus.CANCELLED);
    assert.match(truncatedEvents.at(-1)?.message ?? "", /interrupted/);
    const garbageEvents = await collect(second.ottoscaler.watchPipeline({ pipelineId: "garbage" }));
    assert.equal(garbageEvents.at(-1)?.status, PipelineStatus.SUCCEEDED);
  });

  it("keeps a ScaleUp task's worker logs across a restart, and numbers its next workers after them", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-data-"));
    const env = { OTTOSCALER_DATA_DIR: dataDir };
    {
      await using server = await startTestServer(env);
      const { ottoscaler } = server.clients("grpc");
      const watch = ottoscaler.watchWorkers({ taskId: "farm" })[Symbol.asyncIterator]();
      await ottoscaler.scaleUp({
        taskId: "farm",
        workerCount: 2,
        command: ["seq -f 'tick %.0f' 1 50"],
      });
      // Both workers have ended once the registry says so.
      for (let done = 0; done < 2; ) {
        const { value } = await watch.next();
        if (value?.worker?.phase === WorkerPhase.SUCCEEDED) done++;
      }
    }
    await using server = await startTestServer(env);
    const { ottoscaler, logs } = server.clients("grpc");
    for (const workerId of ["farm.w0", "farm.w1"]) {
      const lines = await collect(logs.streamWorkerLogs({ workerId }));
      assert.deepEqual(
        lines.map((e) => e.line),
        Array.from({ length: 50 }, (_, i) => `tick ${i + 1}`),
      );
    }
    const again = await ottoscaler.scaleUp({ taskId: "farm", workerCount: 1, command: ["true"] });
    assert.deepEqual(
      again.changedWorkerIds,
      ["farm.w2"],
      "worker ids stay unique: they key forwarded logs",
    );
  });

  it("retention removes a build past its age and nothing else", async () => {
    await using server = await startTestServer({ OTTOSCALER_LOG_RETENTION_HOURS: "24" });
    const { ottoscaler, logs } = server.clients("connect");
    for (const pipelineId of ["old", "recent"]) {
      await collect(ottoscaler.executePipeline(linesPipeline(pipelineId, 1, 10)));
    }
    const dataDir = server.app.config.dataDir;
    const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000);
    await utimes(journalOf(dataDir, "old"), twoDaysAgo, twoDaysAgo);
    await server.app.applyRetention();
    await assert.rejects(stat(path.dirname(journalOf(dataDir, "old"))), { code: "ENOENT" });
    await assert.rejects(
      collect(logs.streamBuildLogs({ pipelineId: "old" })),
      (e: unknown) => e instanceof ConnectError && e.code === Code.NotFound,
    );
    const recent = await collect(logs.streamBuildLogs({ pipelineId: "recent" }));
    assert.deepEqual(
      recent.map((e) => e.entry?.line),
      numbered(0, 10),
    );
    assert.deepEqual(
      (await ottoscaler.listPipelines({})).pipelines.map((p) => p.pipelineId),
      ["recent"],
    );
    // Lines are never SYSTEM markers here: nothing was lost.
    assert.ok(recent.every((e) => e.entry?.stream === LogStream.STDOUT));
  });

  it("keeps a removed pipeline's id taken, after a restart too: its entries at Otto-handler are keyed by it", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-data-"));
    const env = { OTTOSCALER_DATA_DIR: dataDir, OTTOSCALER_LOG_RETENTION_HOURS: "24" };
    {
      await using server = await startTestServer(env);
      const { ottoscaler } = server.clients("connect");
      await collect(ottoscaler.executePipeline(linesPipeline("once", 1, 10)));
      const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000);
      await utimes(journalOf(dataDir, "once"), twoDaysAgo, twoDaysAgo);
      await server.app.applyRetention();
    }
    await using server = await startTestServer(env);
    const { ottoscaler, logs } = server.clients("connect");
    await assert.rejects(
      collect(ottoscaler.executePipeline(linesPipeline("once", 1, 10))),
      (e: unknown) =>
        e instanceof ConnectError &&
        e.code === Code.AlreadyExists &&
        /^pipelineId: pipeline "once" ran before \(its logs were removed by retention at \d{4}-/.test(
          e.rawMessage,
        ),
    );
    await assert.rejects(
      collect(logs.streamBuildLogs({ pipelineId: "once" })),
      (e: unknown) =>
        e instanceof ConnectError &&
        e.code === Code.NotFound &&
        /removed by retention/.test(e.rawMessage),
    );
    await collect(ottoscaler.executePipeline(linesPipeline("twice", 1, 1)));
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type { RunRecord } from "../domain/run-record.ts";
import type { WorkerScript } from "../executor/memory/memory-executor.ts";
import { tempDataDir } from "../testing/data-dir.ts";
import { engineOn, stageSpec } from "../testing/engine.ts";
import type { PipelineRunStore } from "./pipeline-engine.ts";
import type { PipelineRun } from "./pipeline-run.ts";
import type { PipelineSpec } from "./pipeline-spec.ts";
import { parseCondition } from "./stage-condition.ts";

/** Keeps the last record saved for each run, as the cluster's PipelineRun status would. */
class RecordingStore implements PipelineRunStore {
  readonly records = new Map<string, RunRecord>();
  async create(): Promise<void> {}
  save(pipelineId: string, snapshot: () => RunRecord): void {
    this.records.set(pipelineId, structuredClone(snapshot()));
  }
  async settled(): Promise<void> {}
}

/** One controller process: an engine over the data directory `dataDir`. */
function controller(dataDir: string, script: WorkerScript, store: RecordingStore) {
  return engineOn(script, { dataDir, store, maxWorkers: 10 });
}

const stage = stageSpec;

const spec: PipelineSpec = {
  pipelineId: "resumed",
  name: "resumed",
  stages: [
    stage("a"),
    stage("b", { dependsOn: ["a"], workers: 2 }),
    stage("c", { dependsOn: ["b"] }),
  ],
};

async function untilStageRunning(run: PipelineRun, stageId: string) {
  for await (const read of run.events.read({ follow: true })) {
    if (
      "item" in read &&
      read.item.stageId === stageId &&
      read.item.status === PipelineStatus.RUNNING
    )
      return;
  }
}

describe("a pipeline continued by a new controller", () => {
  it("keeps finished stages, continues the running one without a second start of its workers' earlier lines, and numbers every event and line on without gaps", async () => {
    const dataDir = tempDataDir();
    const runs = new RecordingStore();
    // The first controller: b's workers print two lines each and are still running when it stops.
    const first = await controller(
      dataDir,
      (w) =>
        w.stageId === "b"
          ? { lines: [`${w.index}:1`, `${w.index}:2`], durationMs: Number.POSITIVE_INFINITY }
          : { lines: [`${w.stageId} ran`] },
      runs,
    );
    const run = await first.engine.start(spec);
    await untilStageRunning(run, "b");
    // Lines are passed on as they come; the two of each worker are in before b reports running.
    await first.engine.shutdown("controller stopping", { leaveRunning: true });
    await first.builds.close();
    assert.equal(run.finished, false, "a run left for the next controller does not end");

    // The second controller: b's workers are found again; their logs come from the start, with
    // one more line each, and they exit 0.
    const second = await controller(
      dataDir,
      (w) =>
        w.stageId === "b"
          ? { lines: [`${w.index}:1`, `${w.index}:2`, `${w.index}:3`] }
          : { lines: [`${w.stageId} ran`] },
      runs,
    );
    const soFar = await second.archive.progressSoFar("resumed");
    assert.ok(soFar);
    const resumed = second.engine.resume(spec, {
      ...soFar,
      record: runs.records.get("resumed"),
    });
    assert.equal(await resumed.done, PipelineStatus.SUCCEEDED);

    // a ran once (in the first controller), b's workers and c in the second.
    assert.deepEqual(second.executor.started.map((s) => s.spec.workerId).sort(), [
      "resumed.b.a1.w0",
      "resumed.b.a1.w1",
      "resumed.c.a1.w0",
    ]);
    const recovered = second.executor.started.find((s) => s.spec.stageId === "b")?.spec.recovered;
    assert.deepEqual(recovered?.linesRecorded, 2);

    const events = [];
    for await (const e of second.engine
      .view("resumed")
      .progress({ signal: AbortSignal.timeout(5000) }))
      events.push(e);
    assert.deepEqual(
      events.map((e) => Number(e.sequence)),
      events.map((_, i) => i + 1),
    );
    // b's RUNNING event is not repeated by the continued attempt.
    assert.equal(
      events.filter((e) => e.stageId === "b" && e.status === PipelineStatus.RUNNING).length,
      1,
    );
    const lines = [];
    const log = second.logs.buildLog("resumed", {
      follow: false,
      signal: AbortSignal.timeout(5000),
    });
    for await (const e of log ?? [])
      lines.push(`${e.entry?.workerId} ${e.entry?.sequence} ${e.entry?.line}`);
    assert.deepEqual(lines.sort(), [
      "resumed.a.a1.w0 1 a ran",
      "resumed.b.a1.w0 1 0:1",
      "resumed.b.a1.w0 2 0:2",
      "resumed.b.a1.w0 3 0:3",
      "resumed.b.a1.w1 1 1:1",
      "resumed.b.a1.w1 2 1:2",
      "resumed.b.a1.w1 3 1:3",
      "resumed.c.a1.w0 1 c ran",
    ]);
    assert.equal(runs.records.get("resumed")?.status, PipelineStatus.SUCCEEDED);
    await second.builds.close();
  });

  it("waits out only what is left of a retry's backoff, then runs the next attempt", async () => {
    const dataDir = tempDataDir();
    const runs = new RecordingStore();
    const retrying: PipelineSpec = {
      pipelineId: "retrying",
      name: "retrying",
      stages: [
        stage("flaky", {
          retry: { maxAttempts: 3, initialBackoffMs: 60_000, maxBackoffMs: 60_000 },
        }),
      ],
    };
    const first = await controller(dataDir, () => ({ exitCode: 1 }), runs);
    const run = await first.engine.start(retrying);
    for await (const read of run.events.read({ follow: true })) {
      if ("item" in read && read.item.status === PipelineStatus.RETRYING) break;
    }
    await first.engine.shutdown("stopping", { leaveRunning: true });
    await first.builds.close();
    // The record says the wait began long enough ago: the next attempt starts at once.
    const second = await controller(dataDir, () => ({}), runs);
    const soFar = await second.archive.progressSoFar("retrying");
    assert.ok(soFar);
    const last = soFar.events.at(-1);
    assert.ok(last?.timestamp);
    last.timestamp.seconds -= 120n;
    const resumed = second.engine.resume(retrying, {
      ...soFar,
      record: runs.records.get("retrying"),
    });
    assert.equal(await resumed.done, PipelineStatus.SUCCEEDED);
    assert.deepEqual(
      second.executor.started.map((s) => s.spec.workerId),
      ["retrying.flaky.a2.w0"],
    );
    await second.builds.close();
  });

  it("continues a run in its finally stages: they keep the status the main stages ended with", async () => {
    const dataDir = tempDataDir();
    const runs = new RecordingStore();
    const withFinally: PipelineSpec = {
      pipelineId: "in-finally",
      name: "in-finally",
      stages: [stage("build"), stage("after", { dependsOn: ["build"] })],
      finally: [stage("clean"), stage("notify", { dependsOn: ["clean"] })],
    };
    const first = await controller(
      dataDir,
      (w) =>
        w.stageId === "build"
          ? { exitCode: 1 }
          : { durationMs: w.stageId === "clean" ? Number.POSITIVE_INFINITY : 0 },
      runs,
    );
    const run = await first.engine.start(withFinally);
    await untilStageRunning(run, "clean");
    await first.engine.shutdown("controller stopping", { leaveRunning: true });
    await first.builds.close();
    assert.deepEqual(runs.records.get("in-finally")?.mainOutcome, {
      status: PipelineStatus.FAILED,
      message: "pipeline failed: 1 stage(s) failed",
    });

    const second = await controller(dataDir, () => ({}), runs);
    const soFar = await second.archive.progressSoFar("in-finally");
    assert.ok(soFar);
    const resumed = second.engine.resume(withFinally, {
      ...soFar,
      record: runs.records.get("in-finally"),
    });
    assert.equal(await resumed.done, PipelineStatus.FAILED);
    assert.deepEqual(
      second.executor.started.map((s) => [s.spec.stageId, s.spec.env.OTTOSCALER_PIPELINE_STATUS]),
      [
        ["clean", "FAILED"],
        ["notify", "FAILED"],
      ],
    );
    assert.deepEqual(
      resumed.summary().stages.map((s) => `${s.id}:${PipelineStatus[s.status]}`),
      ["build:FAILED", "after:SKIPPED", "clean:SUCCEEDED", "notify:SUCCEEDED"],
    );
    await second.builds.close();
  });

  it("decides the conditions of stages due after a restart on what happened before it", async () => {
    const dataDir = tempDataDir();
    const runs = new RecordingStore();
    const always = { source: "always()", condition: parseCondition("always()") };
    const failure = { source: "failure()", condition: parseCondition("failure()") };
    const conditional: PipelineSpec = {
      pipelineId: "conditional",
      name: "conditional",
      stages: [
        stage("a"),
        stage("b", { dependsOn: ["a"], when: always }),
        stage("c", { dependsOn: ["b"] }),
        stage("d", { dependsOn: ["b"], when: failure }),
      ],
    };
    const first = await controller(
      dataDir,
      (w) => (w.stageId === "a" ? { exitCode: 1 } : { durationMs: Number.POSITIVE_INFINITY }),
      runs,
    );
    const run = await first.engine.start(conditional);
    await untilStageRunning(run, "b");
    await first.engine.shutdown("controller stopping", { leaveRunning: true });
    await first.builds.close();

    const second = await controller(dataDir, () => ({}), runs);
    const soFar = await second.archive.progressSoFar("conditional");
    assert.ok(soFar);
    const resumed = second.engine.resume(conditional, {
      ...soFar,
      record: runs.records.get("conditional"),
    });
    assert.equal(await resumed.done, PipelineStatus.FAILED);
    assert.deepEqual(
      resumed.summary().stages.map((s) => `${s.id}:${PipelineStatus[s.status]}`),
      ["a:FAILED", "b:SUCCEEDED", "c:SKIPPED", "d:SUCCEEDED"],
    );
    await second.builds.close();
  });

  it("counts a pipeline's timeout from its start in the controller before", async () => {
    const dataDir = tempDataDir();
    const runs = new RecordingStore();
    const timed: PipelineSpec = {
      pipelineId: "timed",
      name: "timed",
      timeoutMs: 60_000,
      stages: [stage("slow"), stage("next", { dependsOn: ["slow"] })],
    };
    const forever = () => ({ durationMs: Number.POSITIVE_INFINITY });
    const first = await controller(dataDir, forever, runs);
    const run = await first.engine.start(timed);
    await untilStageRunning(run, "slow");
    await first.engine.shutdown("stopping", { leaveRunning: true });
    await first.builds.close();
    // The journal says it started running two minutes ago: its minute is up.
    const second = await controller(dataDir, forever, runs);
    const soFar = await second.archive.progressSoFar("timed");
    assert.ok(soFar);
    for (const event of soFar.events) if (event.timestamp) event.timestamp.seconds -= 120n;
    const resumed = second.engine.resume(timed, { ...soFar, record: runs.records.get("timed") });
    assert.equal(await resumed.done, PipelineStatus.FAILED);
    assert.deepEqual(
      resumed.summary().stages.map((s) => `${s.id}:${PipelineStatus[s.status]}`),
      ["slow:FAILED", "next:SKIPPED"],
    );
    await second.builds.close();
  });

  it("continues a matrix stage held by its maxParallel: the same instances, never more at once", async () => {
    const dataDir = tempDataDir();
    const runs = new RecordingStore();
    const matrix: PipelineSpec = {
      pipelineId: "matrix",
      name: "matrix",
      stages: [
        stage("test", {
          matrix: { combinations: [{ n: "1" }, { n: "2" }, { n: "3" }], maxParallel: 1 },
        }),
        stage("after", { dependsOn: ["test"] }),
      ],
    };
    const first = await controller(dataDir, () => ({ durationMs: Number.POSITIVE_INFINITY }), runs);
    const run = await first.engine.start(matrix);
    await untilStageRunning(run, "test[n=1]");
    await first.engine.shutdown("stopping", { leaveRunning: true });
    await first.builds.close();

    const second = await controller(dataDir, () => ({ durationMs: 5 }), runs);
    const soFar = await second.archive.progressSoFar("matrix");
    assert.ok(soFar);
    const resumed = second.engine.resume(matrix, { ...soFar, record: runs.records.get("matrix") });
    assert.equal(await resumed.done, PipelineStatus.SUCCEEDED);
    assert.deepEqual(
      second.executor.started.map((s) => [s.spec.stageId, s.spec.env.OTTOSCALER_MATRIX_N]),
      [
        ["test[n=1]", "1"],
        ["test[n=2]", "2"],
        ["test[n=3]", "3"],
        ["after", undefined],
      ],
    );
    assert.equal(second.executor.maxRunning, 1);
    await second.builds.close();
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { engineOn, stageSpec } from "../testing/engine.ts";
import { refusal, runPipeline } from "../testing/pipeline-client.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";
import { parseCondition } from "./stage-condition.ts";

const report = { id: "report", command: ['echo "status so far: $OTTOSCALER_PIPELINE_STATUS"'] };

describe("finally stages on the local executor", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t[Symbol.asyncDispose]());

  it("run after a failed stage and what it skipped, see FAILED, and leave the pipeline FAILED", async () => {
    const run = await runPipeline(t, {
      stages: [
        { id: "build", command: ["exit 3"] },
        { id: "deploy", dependsOn: ["build"], command: ["true"] },
      ],
      finally: [report, { id: "after-report", dependsOn: ["report"], command: ["echo last"] }],
    });
    assert.equal(run.status, "FAILED");
    assert.equal(run.stage("deploy").status, "SKIPPED");
    assert.equal(run.stage("report").status, "SUCCEEDED");
    assert.deepEqual(await run.lines("report"), ["status so far: FAILED"]);
    assert.deepEqual(await run.lines("after-report"), ["last"]);
    const order = run.events
      .filter((e) => e.status === PipelineStatus.RUNNING || e.stageId === "deploy")
      .map((e) => e.stageId);
    // The finally stages start only once every main stage has ended (deploy's SKIPPED).
    assert.ok(order.indexOf("deploy") < order.indexOf("report"), order.join(","));
    assert.ok(order.indexOf("report") < order.indexOf("after-report"), order.join(","));
    assert.ok(
      run.events.some((e) => e.stageId === "" && /running the finally stages/.test(e.message)),
    );
  });

  it("see SUCCEEDED after a good run; a finally stage that fails makes the pipeline FAILED", async () => {
    const run = await runPipeline(t, {
      stages: [{ id: "build", command: ["true"] }],
      finally: [report, { id: "notify", command: ["exit 1"] }],
    });
    assert.deepEqual(await run.lines("report"), ["status so far: SUCCEEDED"]);
    assert.equal(run.status, "FAILED");
    assert.match(run.message, /pipeline failed \(stages: SUCCEEDED\); 1 finally stage\(s\) failed/);
  });

  it("still run when the pipeline is cancelled, and see CANCELLED", async () => {
    const { ottoscaler } = t.clients("connect");
    let cancelled: Promise<unknown> | undefined;
    const run = await runPipeline(
      t,
      {
        stages: [
          { id: "slow", command: ["sleep 30"] },
          { id: "later", dependsOn: ["slow"], command: ["true"] },
        ],
        finally: [report],
      },
      (event) => {
        if (event.stageId === "slow" && event.status === PipelineStatus.RUNNING) {
          cancelled = ottoscaler.cancelPipeline({ pipelineId: event.pipelineId, reason: "enough" });
        }
      },
    );
    await cancelled;
    assert.equal(run.status, "CANCELLED");
    assert.equal(run.stage("slow").status, "CANCELLED");
    assert.equal(run.stage("later").status, "CANCELLED");
    assert.deepEqual(await run.lines("report"), ["status so far: CANCELLED"]);
  });

  it("refuses dependencies between finally stages and the others, naming the field", async () => {
    assert.match(
      await refusal(t, {
        stages: [{ id: "build", command: ["true"] }],
        finally: [{ id: "clean", dependsOn: ["build"], command: ["true"] }],
      }),
      /^finally\[0\]\.dependsOn\[0\]: "build" is not a finally stage/,
    );
    assert.match(
      await refusal(t, {
        stages: [{ id: "build", dependsOn: ["clean"], command: ["true"] }],
        finally: [{ id: "clean", command: ["true"] }],
      }),
      /^stages\[0\]\.dependsOn\[0\]: "clean" is a finally stage/,
    );
    assert.match(
      await refusal(t, {
        stages: [{ id: "build", command: ["true"] }],
        finally: [{ id: "build", command: ["true"] }],
      }),
      /^finally\[0\]\.id: duplicate stage id "build" \(also stages\[0\]\)/,
    );
  });
});

describe("finally stages in the engine", () => {
  it("a cancel while they run stops them; the pipeline ends CANCELLED", async () => {
    const { engine, executor } = await engineOn((w) =>
      w.stageId === "clean" ? { durationMs: Number.POSITIVE_INFINITY } : {},
    );
    const run = await engine.start({
      pipelineId: "second-cancel",
      name: "second-cancel",
      stages: [stageSpec("build")],
      finally: [stageSpec("clean")],
    });
    for await (const read of run.events.read({ follow: true })) {
      if (
        "item" in read &&
        read.item.stageId === "clean" &&
        read.item.status === PipelineStatus.RUNNING
      )
        break;
    }
    await engine.cancel("second-cancel", "stop the cleanup");
    assert.equal(await run.done, PipelineStatus.CANCELLED);
    assert.equal(executor.started.at(-1)?.spec.env.OTTOSCALER_PIPELINE_STATUS, "SUCCEEDED");
    const summary = run.summary();
    assert.deepEqual(
      summary.stages.map((s) => `${s.id}:${PipelineStatus[s.status]}`),
      ["build:SUCCEEDED", "clean:CANCELLED"],
    );
  });

  it("do not run when the controller shuts down", async () => {
    const { engine, executor } = await engineOn((w) =>
      w.stageId === "build" ? { durationMs: Number.POSITIVE_INFINITY } : {},
    );
    const run = await engine.start({
      pipelineId: "shutdown",
      name: "shutdown",
      stages: [stageSpec("build")],
      finally: [stageSpec("clean")],
    });
    for await (const read of run.events.read({ follow: true })) {
      if (
        "item" in read &&
        read.item.stageId === "build" &&
        read.item.status === PipelineStatus.RUNNING
      )
        break;
    }
    await engine.shutdown("stopping");
    assert.equal(await run.done, PipelineStatus.CANCELLED);
    assert.deepEqual(
      executor.started.map((s) => s.spec.stageId),
      ["build"],
    );
  });

  it("skips a 5,000-stage chain after its first stage fails (a worklist, no deep recursion) and a cancelled() finally stage", async () => {
    const { engine, executor } = await engineOn((w) => (w.stageId === "s0" ? { exitCode: 1 } : {}));
    const chain = Array.from({ length: 5000 }, (_, i) =>
      stageSpec(`s${i}`, { dependsOn: i === 0 ? [] : [`s${i - 1}`] }),
    );
    const onCancel = stageSpec("on-cancel", {
      when: { source: "cancelled()", condition: parseCondition("cancelled()") },
    });
    const run = await engine.start({
      pipelineId: "chain",
      name: "chain",
      stages: chain,
      finally: [onCancel],
    });
    assert.equal(await run.done, PipelineStatus.FAILED);
    const summary = run.summary();
    assert.equal(summary.stages.filter((s) => s.status === PipelineStatus.SKIPPED).length, 5000);
    assert.deepEqual(
      executor.started.map((s) => s.spec.stageId),
      ["s0"],
    );
  });

  it("runs a `when: cancelled()` finally stage after a cancel, seeing CANCELLED", async () => {
    const onCancel = stageSpec("on-cancel", {
      when: { source: "cancelled()", condition: parseCondition("cancelled()") },
    });
    const slow = await engineOn(() => ({ durationMs: Number.POSITIVE_INFINITY }));
    const cancelled = await slow.engine.start({
      pipelineId: "cancelled",
      name: "cancelled",
      stages: [stageSpec("build")],
      finally: [onCancel],
    });
    for await (const read of cancelled.events.read({ follow: true })) {
      if (
        "item" in read &&
        read.item.stageId === "build" &&
        read.item.status === PipelineStatus.RUNNING
      )
        break;
    }
    // The finally stage runs forever too: the second cancel (engine.cancel's answer waits) stops it.
    void slow.engine.cancel("cancelled", "enough", 0);
    for await (const read of cancelled.events.read({ follow: true })) {
      if (
        "item" in read &&
        read.item.stageId === "on-cancel" &&
        read.item.status === PipelineStatus.RUNNING
      )
        break;
    }
    assert.equal(slow.executor.started.at(-1)?.spec.env.OTTOSCALER_PIPELINE_STATUS, "CANCELLED");
    cancelled.cancel("stop the cleanup too");
    assert.equal(await cancelled.done, PipelineStatus.CANCELLED);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { isFinal } from "../domain/pipeline-status.ts";
import { refusal, runPipeline } from "../testing/pipeline-client.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";

describe("matrix stages on the local executor", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t[Symbol.asyncDispose]());

  it("runs a 2×3 matrix less one exclude as 5 instances, each with its values and logs, never more than maxParallel at once; dependents wait for all", async () => {
    const active = new Set<string>();
    let most = 0;
    const run = await runPipeline(
      t,
      {
        stages: [
          {
            id: "test",
            matrix: {
              shell: ["sh", "ash"],
              mode: ["fast", "full", "slow"],
              exclude: [{ shell: "ash", mode: "slow" }],
            },
            maxParallel: 2,
            command: [
              'sleep 0.2; echo "$OTTOSCALER_MATRIX_SHELL ${{ matrix.mode }} $OTTOSCALER_STAGE_ID"',
            ],
          },
          { id: "report", dependsOn: ["test"], command: ["echo all done"] },
        ],
      },
      (event) => {
        if (!event.stageId.startsWith("test[")) return;
        if (event.status === PipelineStatus.QUEUED) active.add(event.stageId);
        if (isFinal(event.status)) active.delete(event.stageId);
        most = Math.max(most, active.size);
      },
    );
    assert.equal(run.status, "SUCCEEDED");
    const instances = [
      "test[shell=sh,mode=fast]",
      "test[shell=sh,mode=full]",
      "test[shell=sh,mode=slow]",
      "test[shell=ash,mode=fast]",
      "test[shell=ash,mode=full]",
    ];
    const ended = run.events.filter((e) => e.stageId.startsWith("test[") && isFinal(e.status));
    assert.deepEqual(ended.map((e) => e.stageId).sort(), [...instances].sort());
    for (const id of instances) {
      const [, shell, mode] = /shell=(\w+),mode=(\w+)/.exec(id) ?? [];
      assert.deepEqual(await run.lines(id), [`${shell} ${mode} ${id}`]);
    }
    assert.equal(most, 2, "two instances at once, never more");
    const reportQueued = run.events.findIndex((e) => e.stageId === "report");
    const lastInstanceEnd = run.events.indexOf(ended.at(-1) as (typeof ended)[number]);
    assert.ok(lastInstanceEnd < reportQueued, "report waited for every instance");
    assert.equal(run.events.at(-1)?.totalStages, 6);
  });

  it("reads a matrix stage's status as one: FAILED when an instance failed", async () => {
    const run = await runPipeline(t, {
      stages: [
        { id: "test", matrix: { n: [1, 2, 3] }, command: ["test ${{ matrix.n }} != 2"] },
        {
          id: "triage",
          dependsOn: ["test"],
          when: "stages.test.status == 'FAILED'",
          command: ["true"],
        },
      ],
    });
    assert.equal(run.stage("test[n=2]").status, "FAILED");
    assert.equal(run.stage("test[n=1]").status, "SUCCEEDED");
    assert.equal(run.stage("triage").status, "SUCCEEDED");
    assert.equal(run.status, "FAILED");
  });

  it("refuses bad matrices and references to keys an instance lacks, naming the field", async () => {
    assert.equal(
      await refusal(t, {
        stages: [
          {
            id: "test",
            matrix: { os: ["alpine"], include: [{ os: "debian", extra: "x" }] },
            command: ["echo ${{ matrix.extra }}"],
          },
        ],
      }),
      'stages[0].command[0]: unknown reference "matrix.extra" (known references: matrix.os)',
    );
    assert.equal(
      await refusal(t, {
        stages: [{ id: "a", command: ["echo ${{ matrix.os }}"], maxParallel: 2 }],
      }),
      'stages[0].maxParallel: applies only to a stage with a matrix; stages[0].command[0]: unknown reference "matrix.os" (known references: none)',
    );
    assert.equal(
      await refusal(t, {
        stages: [{ id: "a", matrix: { os: "alpine", v: ["1", "1"] }, command: ["true"] }],
      }),
      'stages[0].matrix.os: must be a list of values; stages[0].matrix.v: "1" is listed twice',
    );
  });
});

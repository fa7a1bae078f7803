import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { labelValueOf } from "../executor/kubernetes/job-spec.ts";
import { skipUnlessCluster, startClusterServer } from "../testing/cluster.ts";
import { runPipeline } from "../testing/pipeline-client.ts";
import { PodWatch } from "../testing/pod-watch.ts";

/** The most pods of `runs` that ran at one time. */
function mostAtOnce(runs: readonly { start: number; end: number }[]): number {
  const edges = runs.flatMap((r) => [
    { at: r.start, d: 1 },
    { at: r.end, d: -1 },
  ]);
  // An end and a start at the same second: the end first (the times are in whole seconds).
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const edge of edges) {
    now += edge.d;
    most = Math.max(most, now);
  }
  return most;
}

describe("finally, when, params, timeout and matrix on a real cluster", {
  skip: skipUnlessCluster,
}, () => {
  it("runs a failing pipeline's failure() and finally stages (which see FAILED) and skips on a parameter", async () => {
    await using t = await startClusterServer("otto-language");
    const run = await runPipeline(t, {
      params: [{ name: "deploy", type: "boolean", default: "false" }],
      stages: [
        { id: "build", command: ["exit 1"] },
        {
          id: "report-failure",
          dependsOn: ["build"],
          when: "failure()",
          command: ["echo reported"],
        },
        { id: "deploy", when: "params.deploy", command: ["echo deploying"] },
      ],
      finally: [{ id: "cleanup", command: ['echo "so far: $OTTOSCALER_PIPELINE_STATUS"'] }],
    });
    assert.equal(run.status, "FAILED", run.message);
    assert.deepEqual(await run.lines("report-failure"), ["reported"]);
    assert.deepEqual(run.stage("deploy"), {
      status: "SKIPPED",
      message: 'skipped: when "params.deploy" is false',
    });
    assert.deepEqual(await run.lines("cleanup"), ["so far: FAILED"]);
  });

  it("runs a 2×3 matrix less one exclude as 5 Jobs, each with its values, never more than 2 pods at once", async () => {
    await using t = await startClusterServer("otto-matrix");
    await using pods = await PodWatch.start(t.namespace);
    const run = await runPipeline(t, {
      stages: [
        {
          id: "test",
          matrix: { a: ["1.2", "1-2"], b: ["x", "y", "z"], exclude: [{ a: "1-2", b: "z" }] },
          maxParallel: 2,
          // Long enough that two pods really overlap, whatever the start-up jitter.
          command: ['sleep 3; echo "$OTTOSCALER_MATRIX_A ${{ matrix.b }}"'],
        },
      ],
    });
    assert.equal(run.status, "SUCCEEDED", run.message);
    const ids = run.events
      .filter((e) => e.stageId.startsWith("test[") && e.status === PipelineStatus.SUCCEEDED)
      .map((e) => e.stageId);
    assert.equal(ids.length, 5);
    for (const id of ids) {
      const [, a, b] = /a=([^,]+),b=(\w)/.exec(id) ?? [];
      assert.deepEqual(await run.lines(id), [`${a} ${b}`]);
    }
    const runs = [...pods.runs.values()].filter((r) =>
      ids.map(labelValueOf).includes(r.labels["ottoscaler.io/stage"] ?? ""),
    );
    assert.equal(runs.length, 5, "one pod per instance: 1.2 and 1-2 never share a Job");
    assert.ok(mostAtOnce(runs) <= 2, "maxParallel: 2 held on the cluster");
  });

  it("stops a running pod at the pipeline's timeout and still runs the finally stage", async () => {
    await using t = await startClusterServer("otto-timeout");
    const run = await runPipeline(t, {
      timeoutSeconds: 20,
      stages: [{ id: "hang", command: ["sleep 600"] }],
      finally: [{ id: "cleanup", command: ['echo "so far: $OTTOSCALER_PIPELINE_STATUS"'] }],
    });
    assert.deepEqual(run.stage("hang"), {
      status: "FAILED",
      message: "stopped: the pipeline timed out after 20s",
    });
    assert.deepEqual(await run.lines("cleanup"), ["so far: FAILED"]);
    assert.equal(run.message, "pipeline failed: timed out after 20s");
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { refusal, runPipeline } from "../testing/pipeline-client.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";

describe("a pipeline's timeoutSeconds on the local executor", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t[Symbol.asyncDispose]());

  it("stops the running stages, skips the rest, still runs the finally stages, and ends FAILED with the reason", async () => {
    const started = Date.now();
    const run = await runPipeline(t, {
      timeoutSeconds: 1,
      stages: [
        { id: "quick", command: ["true"] },
        { id: "slow", command: ["sleep 30"] },
        { id: "after-slow", dependsOn: ["slow"], command: ["true"] },
        { id: "also-after", dependsOn: ["slow"], when: "always()", command: ["true"] },
      ],
      finally: [{ id: "cleanup", command: ['echo "so far: $OTTOSCALER_PIPELINE_STATUS"'] }],
    });
    assert.ok(Date.now() - started < 15_000, "the 30 s stage was stopped");
    assert.equal(run.stage("quick").status, "SUCCEEDED");
    assert.deepEqual(run.stage("slow"), {
      status: "FAILED",
      message: "stopped: the pipeline timed out after 1s",
    });
    for (const id of ["after-slow", "also-after"]) {
      assert.deepEqual(run.stage(id), {
        status: "SKIPPED",
        message: "skipped: the pipeline timed out after 1s",
      });
    }
    assert.deepEqual(await run.lines("cleanup"), ["so far: FAILED"]);
    assert.equal(run.status, "FAILED");
    assert.equal(run.message, "pipeline failed: timed out after 1s");
  });

  it("is not reached by a pipeline that ends in time", async () => {
    const run = await runPipeline(t, {
      timeoutSeconds: 60,
      stages: [{ id: "a", command: ["true"] }],
    });
    assert.equal(run.status, "SUCCEEDED");
  });

  it("is refused over the limit, naming the field", async () => {
    assert.equal(
      await refusal(t, { timeoutSeconds: 10_000_000, stages: [{ id: "a", command: ["true"] }] }),
      "timeoutSeconds: 10000000 is over the limit of 604800",
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { PipelineProgressSchema, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { runEventOf } from "./pipeline-run-events.ts";

const event = (stageId: string, status: PipelineStatus, message: string) =>
  runEventOf(create(PipelineProgressSchema, { stageId, status, message }));

describe("the Kubernetes Event of a progress event", () => {
  it("names stage and pipeline outcomes, Warning for what went wrong", () => {
    assert.deepEqual(event("build", PipelineStatus.RUNNING, "attempt 1 running"), {
      type: "Normal",
      reason: "StageStarted",
      message: "stage build: attempt 1 running",
    });
    assert.equal(event("build", PipelineStatus.RETRYING, "x")?.reason, "StageRetrying");
    assert.equal(event("build", PipelineStatus.FAILED, "x")?.type, "Warning");
    assert.equal(event("build", PipelineStatus.SKIPPED, "x")?.reason, "StageSkipped");
    assert.deepEqual(event("", PipelineStatus.SUCCEEDED, "pipeline succeeded"), {
      type: "Normal",
      reason: "PipelineSucceeded",
      message: "pipeline succeeded",
    });
    assert.equal(event("", PipelineStatus.CANCELLED, "x")?.reason, "PipelineCancelled");
  });

  it("says a worker is held up, and nothing for queued stages or a pipeline's own start", () => {
    assert.deepEqual(event("build", PipelineStatus.QUEUED, "worker 0 waiting: ImagePullBackOff"), {
      type: "Warning",
      reason: "WorkerWaiting",
      message: "stage build: worker 0 waiting: ImagePullBackOff",
    });
    assert.equal(event("build", PipelineStatus.QUEUED, "stage build queued"), undefined);
    assert.equal(event("", PipelineStatus.RUNNING, "pipeline running"), undefined);
    assert.equal(event("", PipelineStatus.QUEUED, "pipeline queued"), undefined);
  });
});

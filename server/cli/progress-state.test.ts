import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { PipelineProgressSchema, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import {
  applyProgress,
  createPipelineView,
  isFinalPipelineEvent,
  serverNow,
  stageElapsedMs,
} from "./progress-state.ts";

const t0 = 1_700_000_000_000;

function event(seq: number, atMs: number, fields: Record<string, unknown>) {
  return create(PipelineProgressSchema, {
    pipelineId: "p-1",
    sequence: BigInt(seq),
    timestamp: timestampFromMs(t0 + atMs),
    ...fields,
  });
}

describe("pipeline view", () => {
  it("lists a request's stages as QUEUED before any event", () => {
    const view = createPipelineView({ name: "demo", stageIds: ["a", "b"] });
    assert.deepEqual(
      view.stages.map((s) => [s.id, s.status]),
      [
        ["a", PipelineStatus.QUEUED],
        ["b", PipelineStatus.QUEUED],
      ],
    );
    assert.equal(view.total, 2);
  });

  it("adds stages it did not know in the order their events arrive", () => {
    const view = createPipelineView();
    applyProgress(view, event(1, 0, { stageId: "z", status: PipelineStatus.QUEUED }), t0);
    applyProgress(view, event(2, 0, { stageId: "a", status: PipelineStatus.QUEUED }), t0);
    assert.deepEqual(
      view.stages.map((s) => s.id),
      ["z", "a"],
    );
    assert.equal(view.pipelineId, "p-1");
  });

  it("ignores an event whose sequence it has already seen", () => {
    const view = createPipelineView();
    const first = event(1, 0, { stageId: "a", status: PipelineStatus.RUNNING });
    assert.equal(applyProgress(view, first, t0), true);
    assert.equal(applyProgress(view, first, t0), false);
  });

  it("times a stage from its first RUNNING to its final event, across retries", () => {
    const view = createPipelineView({ stageIds: ["a"] });
    applyProgress(
      view,
      event(1, 0, { stageId: "a", status: PipelineStatus.RUNNING, attempt: 1 }),
      t0,
    );
    applyProgress(
      view,
      event(2, 1000, { stageId: "a", status: PipelineStatus.RETRYING, attempt: 1 }),
      t0,
    );
    applyProgress(
      view,
      event(3, 1500, { stageId: "a", status: PipelineStatus.RUNNING, attempt: 2 }),
      t0,
    );
    const stage = view.stages[0];
    assert.ok(stage);
    assert.equal(stageElapsedMs(stage, t0 + 2000), 2000, "still running: counts to now");
    applyProgress(
      view,
      event(4, 2500, { stageId: "a", status: PipelineStatus.SUCCEEDED, attempt: 2 }),
      t0,
    );
    assert.equal(stageElapsedMs(stage, t0 + 9999), 2500);
    assert.equal(stage.attempt, 2);
  });

  it("estimates the server's clock from the fastest event", () => {
    const view = createPipelineView();
    applyProgress(view, event(1, 0, { status: PipelineStatus.RUNNING }), t0 + 5000);
    applyProgress(
      view,
      event(2, 1000, { stageId: "a", status: PipelineStatus.RUNNING }),
      t0 + 1200,
    );
    assert.equal(serverNow(view, t0 + 2200), t0 + 2000);
  });

  it("treats only pipeline-level SUCCEEDED, FAILED and CANCELLED as final", () => {
    assert.equal(isFinalPipelineEvent(event(1, 0, { status: PipelineStatus.FAILED })), true);
    assert.equal(isFinalPipelineEvent(event(1, 0, { status: PipelineStatus.CANCELLED })), true);
    assert.equal(isFinalPipelineEvent(event(1, 0, { status: PipelineStatus.RUNNING })), false);
    assert.equal(
      isFinalPipelineEvent(event(1, 0, { stageId: "a", status: PipelineStatus.FAILED })),
      false,
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { PipelineProgressSchema, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { formatProgressLine } from "./progress-plain.ts";
import { applyProgress, createPipelineView } from "./progress-state.ts";

const t0 = Date.UTC(2025, 0, 1, 12, 0, 0);
let sequence = 0n;

function event(atMs: number, fields: Parameters<typeof create<typeof PipelineProgressSchema>>[1]) {
  sequence += 1n;
  return create(PipelineProgressSchema, {
    pipelineId: "p-1",
    totalStages: 2,
    sequence,
    timestamp: timestampFromMs(t0 + atMs),
    ...fields,
  });
}

/** Applies the events in order and returns the line printed for each. */
function lines(events: ReturnType<typeof event>[]): string[] {
  const view = createPipelineView({ name: "demo", stageIds: ["build", "unit-test"] });
  return events.map((e) => {
    applyProgress(view, e, t0);
    return formatProgressLine(e, view);
  });
}

describe("formatProgressLine", () => {
  it("prints time since start, stage, short status, attempt and workers", () => {
    const [line] = lines([
      event(0, {
        stageId: "build",
        status: PipelineStatus.RUNNING,
        attempt: 1,
        workerIds: ["w-1"],
      }),
    ]);
    assert.equal(line, "+0.0s   build      RUNNING    attempt 1  worker w-1");
  });

  it("shows how long a finished stage ran and the stages completed", () => {
    const out = lines([
      event(0, { stageId: "build", status: PipelineStatus.RUNNING, attempt: 1 }),
      event(1500, {
        stageId: "build",
        status: PipelineStatus.SUCCEEDED,
        attempt: 1,
        completedStages: 1,
      }),
    ]);
    assert.equal(out[1], "+1.5s   build      SUCCEEDED  attempt 1  1.5s  1/2 stages");
  });

  it("shows the message of a retry and only its first line", () => {
    const out = lines([
      event(0, { stageId: "unit-test", status: PipelineStatus.RUNNING, attempt: 1 }),
      event(800, {
        stageId: "unit-test",
        status: PipelineStatus.RETRYING,
        attempt: 1,
        message: "exit code 1; retrying in 500ms\nmore detail",
      }),
    ]);
    assert.equal(
      out[1],
      "+0.8s   unit-test  RETRYING   attempt 1  exit code 1; retrying in 500ms …",
    );
  });

  it("counts the workers of a stage with several", () => {
    const ids = ["w-0", "w-1", "w-2"];
    const [line] = lines([
      event(0, {
        stageId: "unit-test",
        status: PipelineStatus.RUNNING,
        attempt: 1,
        workerIds: ids,
      }),
    ]);
    assert.equal(line, "+0.0s   unit-test  RUNNING    attempt 1  3 workers");
  });

  it("leaves out a message that only repeats the stage, attempt and status", () => {
    const out = lines([
      event(0, { status: PipelineStatus.QUEUED, message: "pipeline p-1 queued" }),
      event(0, { stageId: "build", status: PipelineStatus.QUEUED, message: "stage build queued" }),
      event(0, {
        stageId: "build",
        status: PipelineStatus.RUNNING,
        attempt: 1,
        message: "attempt 1 running",
      }),
      event(1, {
        stageId: "build",
        status: PipelineStatus.FAILED,
        attempt: 1,
        message: "attempt 1 failed: exit code 2",
      }),
    ]);
    assert.equal(out[0], "+0.0s   pipeline   QUEUED     0/2 stages  p-1");
    assert.equal(out[1], "+0.0s   build      QUEUED");
    assert.equal(out[2], "+0.0s   build      RUNNING    attempt 1");
    assert.match(out[3] ?? "", /attempt 1 failed: exit code 2$/);
  });

  it("prints pipeline events with the stages completed, total time and id", () => {
    const out = lines([
      event(0, { status: PipelineStatus.RUNNING }),
      event(2000, { status: PipelineStatus.SUCCEEDED, completedStages: 2 }),
    ]);
    assert.equal(out[0], "+0.0s   pipeline   RUNNING    0/2 stages  p-1");
    assert.equal(out[1], "+2.0s   pipeline   SUCCEEDED  2/2 stages  2.0s  p-1");
  });

  it("prints a SKIPPED stage with its reason", () => {
    const [line] = lines([
      event(0, {
        stageId: "unit-test",
        status: PipelineStatus.SKIPPED,
        message: "dependency build failed",
      }),
    ]);
    assert.equal(line, "+0.0s   unit-test  SKIPPED    0/2 stages  dependency build failed");
  });
});

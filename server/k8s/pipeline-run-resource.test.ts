import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type { RunRecord } from "../domain/run-record.ts";
import {
  formatIndexRanges,
  parseIndexRanges,
  recordOfStatus,
  statusOfRecord,
} from "./pipeline-run-resource.ts";

describe("a PipelineRun's status", () => {
  it("writes made workers as index ranges and reads them back", () => {
    assert.equal(formatIndexRanges([5, 0, 1, 2, 3, 7, 8, 2]), "0-3,5,7-8");
    assert.equal(formatIndexRanges([]), "");
    assert.deepEqual(parseIndexRanges("0-3,5,7-8"), [0, 1, 2, 3, 5, 7, 8]);
    assert.deepEqual(parseIndexRanges(""), []);
  });

  it("stays under 256 KiB for a 1,000-worker stage with 3 attempts, and reads back as the same record", () => {
    const everyOther = Array.from({ length: 500 }, (_, i) => i * 2);
    const record: RunRecord = {
      pipelineId: "big",
      status: PipelineStatus.RUNNING,
      completedStages: 0,
      totalStages: 1,
      sequence: 9_000,
      stages: [
        {
          id: "wide",
          status: PipelineStatus.RUNNING,
          attempt: 3,
          message: "attempt 3 running",
          attempts: [1, 2, 3].map((attempt) => ({
            attempt,
            workers: 1000,
            // The worst case for ranges: every other worker made.
            created: attempt === 3 ? everyOther : Array.from({ length: 1000 }, (_, i) => i),
            succeeded: attempt === 3 ? 0 : 999,
            failed: attempt === 3 ? 0 : 1,
          })),
        },
      ],
    };
    const status = statusOfRecord(record, 4);
    const bytes = Buffer.byteLength(JSON.stringify(status));
    assert.ok(bytes < 256 * 1024, `${bytes} bytes`);
    assert.equal(status.progress, "0/1");
    assert.equal(status.stages?.[0]?.attempts[0]?.created, "0-999");
    assert.deepEqual(recordOfStatus(status), record);
  });
});

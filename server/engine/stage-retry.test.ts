import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stageRetryDelayMs } from "./stage-retry.ts";

describe("stageRetryDelayMs", () => {
  it("doubles the initial backoff for each later attempt, up to the cap", () => {
    const policy = { maxAttempts: 6, initialBackoffMs: 100, maxBackoffMs: 500 };
    assert.deepEqual(
      [2, 3, 4, 5, 6].map((a) => stageRetryDelayMs(policy, a)),
      [100, 200, 400, 500, 500],
    );
  });
});

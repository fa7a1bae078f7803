import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sleep } from "./sleep.ts";

describe("sleep", () => {
  it("ends early with false when its signal aborts", async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    assert.equal(await slept, false);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Backoff, backoffDelay } from "./backoff.ts";

describe("backoffDelay", () => {
  it("grows by the multiplier from the initial wait up to the cap", () => {
    const policy = { initialMs: 100, maxMs: 1000, jitter: 0 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(policy, retry)),
      [100, 200, 400, 800, 1000, 1000],
    );
  });

  it("takes each wait down by at most the jitter fraction", () => {
    const policy = { initialMs: 100, maxMs: 1000 };
    assert.equal(
      backoffDelay(policy, 3, () => 0),
      400,
    );
    assert.equal(
      backoffDelay(policy, 3, () => 1),
      200,
    );
    assert.equal(
      backoffDelay({ ...policy, jitter: 0.25 }, 3, () => 1),
      300,
    );
  });

  it("stays at the cap through a very long run of failures", () => {
    assert.equal(backoffDelay({ initialMs: 100, maxMs: 30_000, jitter: 0 }, 10_000), 30_000);
  });
});

describe("Backoff", () => {
  it("counts failures, waits longer each time and starts over after a reset", () => {
    const backoff = new Backoff({ initialMs: 10, maxMs: 100, jitter: 0 });
    assert.deepEqual([backoff.next(), backoff.next(), backoff.next()], [10, 20, 40]);
    assert.equal(backoff.failures, 3);
    backoff.reset();
    assert.equal(backoff.failures, 0);
    assert.equal(backoff.next(), 10);
  });
});

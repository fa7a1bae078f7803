import assert from "node:assert/strict";
import { it } from "node:test";
import { RateLimiter } from "./rate-limiter.ts";

it("lets a burst through, then one per refill interval, per key", () => {
  const limiter = new RateLimiter({ perMinute: 60, burst: 2 });
  assert.equal(limiter.take("a", 0), undefined);
  assert.equal(limiter.take("a", 0), undefined);
  assert.equal(limiter.take("a", 0), 1000);
  assert.equal(limiter.take("b", 0), undefined, "another key has its own bucket");
  assert.equal(limiter.take("a", 400), 600);
  assert.equal(limiter.take("a", 1000), undefined);
  assert.equal(limiter.take("a", 1000), 1000);
});

it("forgets the longest-idle key past its bound", () => {
  const limiter = new RateLimiter({ perMinute: 1, burst: 1, maxKeys: 2 });
  assert.equal(limiter.take("a", 0), undefined);
  assert.equal(limiter.take("b", 0), undefined);
  assert.equal(limiter.take("c", 0), undefined);
  assert.equal(limiter.take("a", 0), undefined, "a was forgotten, so it starts full");
  assert.ok((limiter.take("c", 0) ?? 0) > 0);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { concat, median, percentile, summarize } from "./stats.ts";

test("percentile is nearest-rank on an ascending sample", () => {
  const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 100), 100);
  assert.equal(percentile(sorted, 0), 1);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test("summarize sorts numerically, not as text", () => {
  const s = summarize([10, 9, 100, 2, 1]);
  assert.deepEqual(
    { count: s.count, min: s.min, p50: s.p50, max: s.max, mean: s.mean },
    { count: 5, min: 1, p50: 9, max: 100, mean: 24.4 },
  );
  assert.equal(median([3, 1, 2]), 2);
  assert.deepEqual([...concat([Float64Array.of(1), Float64Array.of(2, 3)])], [1, 2, 3]);
});

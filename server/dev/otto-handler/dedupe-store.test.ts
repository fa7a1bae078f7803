import assert from "node:assert/strict";
import { it } from "node:test";
import { DedupeStore } from "./dedupe-store.ts";

it("knows every sequence added, per id", () => {
  const store = new DedupeStore();
  store.add("w1", 1);
  store.add("w1", 2);
  store.add("w2", 1);
  assert.ok(store.has("w1", 1) && store.has("w1", 2) && store.has("w2", 1));
  assert.ok(!store.has("w1", 3) && !store.has("w2", 2) && !store.has("w3", 1));
});

it("keeps 200,000 in-order sequences as one number per id", () => {
  const store = new DedupeStore();
  for (let s = 1; s <= 10_000; s++) for (let w = 0; w < 20; w++) store.add(`w${w}`, s);
  assert.deepEqual(store.stats(), { ids: 20, outOfOrder: 0 });
  assert.ok(store.has("w19", 10_000) && !store.has("w19", 10_001));
});

it("holds sequences past a gap apart until the gap fills", () => {
  const store = new DedupeStore();
  for (const s of [1, 4, 5, 3]) store.add("w1", s);
  assert.deepEqual(store.stats(), { ids: 1, outOfOrder: 3 });
  assert.ok(!store.has("w1", 2) && store.has("w1", 3) && store.has("w1", 5));
  store.add("w1", 2);
  assert.deepEqual(store.stats(), { ids: 1, outOfOrder: 0 });
  assert.ok(store.has("w1", 5) && !store.has("w1", 6));
});

it("ignores sequences added twice", () => {
  const store = new DedupeStore();
  for (const s of [1, 1, 3, 3]) store.add("w1", s);
  assert.deepEqual(store.stats(), { ids: 1, outOfOrder: 1 });
});

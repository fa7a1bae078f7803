import assert from "node:assert/strict";
import { it } from "node:test";
import { cached, TtlCache } from "./ttl-cache.ts";

it("forgets entries after their time and the oldest past its size", () => {
  const cache = new TtlCache<number>({ ttlMs: 100, maxEntries: 2 });
  cache.set("a", 1, 0);
  assert.equal(cache.get("a", 99), 1);
  assert.equal(cache.get("a", 100), undefined);
  cache.set("a", 1, 0);
  cache.set("b", 2, 0);
  cache.set("c", 3, 0);
  assert.equal(cache.size, 2);
  assert.equal(cache.get("a", 0), undefined);
});

it("shares one answer between concurrent lookups and keeps no failure", async () => {
  const cache = new TtlCache<Promise<number>>({ ttlMs: 10_000, maxEntries: 10 });
  let calls = 0;
  const make = async () => ++calls;
  assert.deepEqual(await Promise.all([cached(cache, "k", make), cached(cache, "k", make)]), [1, 1]);
  await assert.rejects(cached(cache, "bad", () => Promise.reject(new Error("down"))));
  await Promise.resolve();
  assert.equal(cache.get("bad"), undefined);
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReplayBuffer, type ReplayRead } from "./replay-buffer.ts";

async function collect<T>(reads: AsyncIterable<ReplayRead<T>>): Promise<ReplayRead<T>[]> {
  const out: ReplayRead<T>[] = [];
  for await (const r of reads) out.push(r);
  return out;
}

describe("ReplayBuffer", () => {
  it("replays everything to a late reader, then stops at the current end", async () => {
    const b = new ReplayBuffer<string>();
    b.append("a");
    b.append("b");
    const reads = await collect(b.read());
    assert.deepEqual(reads, [
      { item: "a", index: 0 },
      { item: "b", index: 1 },
    ]);
  });

  it("follows live items until closed", async () => {
    const b = new ReplayBuffer<number>();
    b.append(1);
    const done = collect(b.read({ follow: true }));
    await new Promise((r) => setImmediate(r));
    b.append(2);
    b.append(3);
    b.close();
    assert.deepEqual(
      (await done).map((r) => ("item" in r ? r.item : -1)),
      [1, 2, 3],
    );
  });

  it("tells a reader how many items were dropped past its capacity", async () => {
    const b = new ReplayBuffer<number>(3);
    for (let i = 0; i < 10; i++) b.append(i);
    assert.equal(b.start, 7);
    const reads = await collect(b.read());
    assert.deepEqual(reads[0], { dropped: 7, index: 0 });
    assert.deepEqual(
      reads.slice(1).map((r) => ("item" in r ? r.item : -1)),
      [7, 8, 9],
    );
  });

  it("never makes the writer wait for a slow reader", async () => {
    const b = new ReplayBuffer<number>(5);
    const reader = b.read({ follow: true });
    for (let i = 0; i < 1000; i++) b.append(i);
    b.close();
    const first = await reader.next();
    assert.deepEqual(first.value, { dropped: 995, index: 0 });
  });

  it("accounts for every item, even those dropped while the reader handled a drop", async () => {
    const b = new ReplayBuffer<number>(5);
    for (let i = 0; i < 20; i++) b.append(i);
    const reader = b.read();
    const first = await reader.next();
    assert.deepEqual(first.value, { dropped: 15, index: 0 });
    // The reader is busy (say, reading those 15 from disk) while 10 more arrive.
    for (let i = 20; i < 30; i++) b.append(i);
    b.close();
    const rest = await collect(reader);
    assert.deepEqual(rest[0], { dropped: 10, index: 15 });
    assert.deepEqual(
      rest.slice(1).map((r) => ("item" in r ? r.item : -1)),
      [25, 26, 27, 28, 29],
    );
  });

  it("stops a follower when its signal aborts", async () => {
    const b = new ReplayBuffer<number>();
    const controller = new AbortController();
    const done = collect(b.read({ follow: true, signal: controller.signal }));
    controller.abort();
    assert.deepEqual(await done, []);
  });
});

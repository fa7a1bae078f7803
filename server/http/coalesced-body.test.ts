import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coalescedBody } from "./coalesced-body.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

/** A body whose chunks arrive when the test releases them. */
function gatedBody() {
  const chunks: (Uint8Array | Error | "end")[] = [];
  let wake: (() => void) | undefined;
  let ended!: () => void;
  const returned = new Promise<void>((resolve) => (ended = resolve));
  return {
    push(item: Uint8Array | Error | "end") {
      chunks.push(item);
      wake?.();
    },
    /** Resolves once the body's generator has finished. */
    returned,
    async *body(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          while (chunks.length === 0) await new Promise<void>((resolve) => (wake = resolve));
          const item = chunks.shift();
          if (item === "end") return;
          if (item instanceof Error) throw item;
          if (item !== undefined) yield item;
        }
      } finally {
        ended();
      }
    },
  };
}

describe("coalescedBody", () => {
  it("puts the chunks that are ready into one, in order", async () => {
    async function* ready() {
      yield bytes(1, 2);
      yield bytes(3);
      yield bytes(4, 5, 6);
    }
    const out = [];
    for await (const chunk of coalescedBody(ready())) out.push([...chunk]);
    assert.deepEqual(out, [[1, 2, 3, 4, 5, 6]]);
  });

  it("sends what it has at once instead of waiting for a chunk that is not there yet", async () => {
    const gated = gatedBody();
    const it = coalescedBody(gated.body())[Symbol.asyncIterator]();
    gated.push(bytes(1));
    gated.push(bytes(2));
    assert.deepEqual([...((await it.next()).value ?? [])], [1, 2]);
    const later = it.next();
    gated.push(bytes(3));
    assert.deepEqual([...((await later).value ?? [])], [3]);
    gated.push("end");
    assert.equal((await it.next()).done, true);
  });

  it("keeps batches within 64 KiB", async () => {
    async function* big() {
      for (let i = 0; i < 10; i++) yield new Uint8Array(20 * 1024).fill(i);
    }
    const sizes = [];
    let total = 0;
    for await (const chunk of coalescedBody(big())) {
      sizes.push(chunk.byteLength);
      total += chunk.byteLength;
    }
    assert.equal(total, 200 * 1024);
    assert.ok(
      sizes.every((size) => size <= 80 * 1024),
      `batches of ${sizes.join(", ")}`,
    );
    assert.ok(sizes.length < 10, "chunks were put together");
  });

  it("passes on a failure of the body after what came before it", async () => {
    const gated = gatedBody();
    const it = coalescedBody(gated.body())[Symbol.asyncIterator]();
    gated.push(bytes(1));
    assert.deepEqual([...((await it.next()).value ?? [])], [1]);
    gated.push(new Error("handler failed"));
    await assert.rejects(it.next(), /handler failed/);
  });

  it("ends the body it reads when its reader stops early", async () => {
    const gated = gatedBody();
    const it = coalescedBody(gated.body())[Symbol.asyncIterator]();
    gated.push(bytes(1));
    await it.next();
    gated.push(bytes(2));
    await it.return(undefined);
    await gated.returned;
  });
});

/** Most bytes put together into one write. */
const maxBatchBytes = 64 * 1024;

const nextTurn = () => new Promise<"later">((resolve) => setImmediate(resolve, "later"));

/**
 * A response body that hands the socket several messages per write: every
 * chunk that is ready by the next turn of the event loop, up to 64 KiB. A
 * server stream of small messages (log lines) otherwise costs one write, one
 * buffer and one callback per message, and a follower whose window is full
 * holds hundreds of them; with batches, what waits for a slow reader is a few
 * buffers of its own window's size. A chunk that is not ready yet is never
 * waited for: what is there goes out at once, so a live stream keeps its latency.
 */
export async function* coalescedBody(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const it = body[Symbol.asyncIterator]();
  // The next chunk is asked for before this batch is written; should it fail while the batch is
  // being written, the failure is seen when it is awaited, not reported as unhandled.
  const pull = () => {
    const pending = it.next();
    pending.catch(() => {});
    return pending;
  };
  try {
    let next = pull();
    for (;;) {
      const first = await next;
      if (first.done === true) return;
      const parts = [first.value];
      let size = first.value.byteLength;
      let done = false;
      next = pull();
      let later: Promise<"later"> | undefined;
      while (size < maxBatchBytes) {
        later ??= nextTurn();
        const ready = await Promise.race([next, later]);
        if (ready === "later") break;
        if (ready.done === true) {
          done = true;
          break;
        }
        parts.push(ready.value);
        size += ready.value.byteLength;
        next = pull();
      }
      yield parts.length === 1 ? first.value : concat(parts, size);
      if (done) return;
    }
  } finally {
    // Not awaited: a live stream's pending read ends only with its request.
    it.return?.().catch(() => {});
  }
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.byteLength;
  }
  return joined;
}

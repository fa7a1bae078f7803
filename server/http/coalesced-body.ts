/** Most bytes put together into one write. */
const maxBatchBytes = 64 * 1024;

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
  // One read is always in flight, and what it settles with is kept here. No Promise.race: racing
  // each read against the end of the turn left a reaction on that still-pending promise per
  // race, each holding a settled chunk; under fan-out those were most of the heap.
  let settled: IteratorResult<Uint8Array> | undefined;
  let failure: { error: unknown } | undefined;
  let pending: Promise<void> = Promise.resolve();
  let wake: (() => void) | undefined;
  const pull = () => {
    settled = undefined;
    pending = it.next().then(
      (result) => {
        settled = result;
        wake?.();
      },
      (error: unknown) => {
        // Seen when the read is awaited, not reported as unhandled meanwhile.
        failure = { error };
        wake?.();
      },
    );
  };
  const ready = () => settled !== undefined || failure !== undefined;
  try {
    pull();
    for (;;) {
      await pending;
      if (failure !== undefined) throw failure.error;
      const first = settled;
      if (first === undefined || first.done === true) return;
      const parts = [first.value];
      let size = first.value.byteLength;
      let done = false;
      pull();
      let turnOver = false;
      const turn = setImmediate(() => {
        turnOver = true;
        wake?.();
      });
      while (size < maxBatchBytes) {
        if (!ready()) {
          if (turnOver) break;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          if (!ready()) break;
        }
        // A failure is thrown at the next batch, after this one is written.
        if (failure !== undefined) break;
        const next = settled;
        if (next === undefined || next.done === true) {
          done = true;
          break;
        }
        parts.push(next.value);
        size += next.value.byteLength;
        pull();
      }
      clearImmediate(turn);
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

/** What a reader sees: an item, or how many items it missed because they were dropped. */
export type ReplayRead<T> = { item: T; index: number } | { dropped: number; index: number };

export interface ReadOptions {
  /** Absolute index to start from; 0 is the first item ever appended. */
  from?: number;
  /** Wait for new items until the buffer is closed; otherwise stop at the current end. */
  follow?: boolean;
  signal?: AbortSignal;
}

/**
 * An append-only history that keeps its newest `capacity` items and lets any
 * number of readers replay it from any point, then follow it live.
 *
 * Readers keep their own cursor and pull at their own pace, so a slow reader
 * costs nothing to the writer or to other readers: it only risks finding that
 * the items it wanted were dropped, which it is told about.
 */
export class ReplayBuffer<T> {
  readonly capacity: number;
  #ring: (T | undefined)[] = [];
  #start = 0;
  #end = 0;
  #closed = false;
  #wake: (() => void)[] = [];

  /** Index of the first item this buffer holds: what comes before is read elsewhere. */
  readonly #base: number;

  /**
   * @param firstIndex The absolute index of the first item appended: readers asking for
   * earlier ones are told they were dropped (e.g. a history continued after a restart, whose
   * beginning is on disk).
   */
  constructor(capacity = Number.POSITIVE_INFINITY, firstIndex = 0) {
    if (!(capacity >= 1)) throw new RangeError("capacity must be at least 1");
    this.capacity = capacity;
    this.#base = firstIndex;
    this.#start = firstIndex;
    this.#end = firstIndex;
  }

  /** Absolute index of the oldest item still kept. */
  get start(): number {
    return this.#start;
  }

  /** Absolute index the next item will get. */
  get end(): number {
    return this.#end;
  }

  get closed(): boolean {
    return this.#closed;
  }

  append(item: T): number {
    if (this.#closed) throw new Error("append to a closed ReplayBuffer");
    const index = this.#end++;
    if (Number.isFinite(this.capacity)) {
      this.#ring[index % this.capacity] = item;
      if (this.#end - this.#start > this.capacity) this.#start = this.#end - this.capacity;
    } else {
      this.#ring.push(item);
    }
    this.#notify();
    return index;
  }

  /** The item at an absolute index, if it is still kept. */
  at(index: number): T | undefined {
    if (index < this.#start || index >= this.#end) return undefined;
    return Number.isFinite(this.capacity)
      ? this.#ring[index % this.capacity]
      : this.#ring[index - this.#base];
  }

  /** Ends the history: followers finish once they have read everything. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#notify();
  }

  async *read(options: ReadOptions = {}): AsyncGenerator<ReplayRead<T>, void, undefined> {
    const { follow = false, signal } = options;
    let cursor = Math.max(0, options.from ?? 0);
    for (;;) {
      if (signal?.aborted) return;
      if (cursor < this.#start) {
        // Counted now: more may drop while the reader handles this, and is reported next.
        const dropped = this.#start - cursor;
        yield { dropped, index: cursor };
        cursor += dropped;
        continue;
      }
      if (cursor < this.#end) {
        const item = this.at(cursor) as T;
        yield { item, index: cursor };
        cursor++;
        continue;
      }
      if (this.#closed || !follow) return;
      await this.#changed(signal);
    }
  }

  /** Resolves at the next append or close, or when the signal aborts. */
  #changed(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.#wake.push(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  #notify(): void {
    const wake = this.#wake;
    if (wake.length === 0) return;
    this.#wake = [];
    for (const w of wake) w();
  }
}

/**
 * Which sequence numbers of one worker (or pipeline) are stored. Senders deliver in order from 1,
 * so the common case is one number: everything up to `contiguous` is stored. Numbers past a gap
 * (only when a sender skips ahead) are kept apart until the gap fills.
 */
class SequenceSet {
  contiguous = 0;
  ahead: Set<number> | undefined;

  has(sequence: number): boolean {
    return sequence <= this.contiguous || (this.ahead?.has(sequence) ?? false);
  }

  add(sequence: number): void {
    if (this.has(sequence)) return;
    if (sequence !== this.contiguous + 1) {
      this.ahead ??= new Set();
      this.ahead.add(sequence);
      return;
    }
    this.contiguous = sequence;
    while (this.ahead?.delete(this.contiguous + 1)) this.contiguous++;
    if (this.ahead?.size === 0) this.ahead = undefined;
  }
}

/** The stored keys (id, sequence) of one kind of entry: log lines by worker, events by pipeline. */
export class DedupeStore {
  readonly #byId = new Map<string, SequenceSet>();

  has(id: string, sequence: number): boolean {
    return this.#byId.get(id)?.has(sequence) ?? false;
  }

  add(id: string, sequence: number): void {
    let set = this.#byId.get(id);
    if (set === undefined) {
      set = new SequenceSet();
      this.#byId.set(id, set);
    }
    set.add(sequence);
  }

  /** Ids tracked, and sequence numbers held apart past a gap: what the memory grows with. */
  stats(): { ids: number; outOfOrder: number } {
    let outOfOrder = 0;
    for (const set of this.#byId.values()) outOfOrder += set.ahead?.size ?? 0;
    return { ids: this.#byId.size, outOfOrder };
  }
}

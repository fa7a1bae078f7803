/**
 * Lines read with `timestamps=true` start with an RFC 3339 time with up to
 * nine fractional digits. Reading a log again from a point repeats lines;
 * this remembers where it got to, by time and by position among lines of the
 * same time, so each line is passed on once.
 */
export class LogDeduplicator {
  #lastNs = -1n;
  #emittedAtLast = 0;
  #readNs = -1n;
  #seenInRead = 0;

  /** Starts a new read of the same log. */
  newRead(): void {
    this.#readNs = -1n;
    this.#seenInRead = 0;
  }

  /** The line without its timestamp if it is new, else undefined. */
  accept(raw: string): string | undefined {
    const space = raw.indexOf(" ");
    const ns = space > 0 ? parseTimestampNs(raw.slice(0, space)) : undefined;
    if (ns === undefined) return raw;
    const line = raw.slice(space + 1);
    if (ns !== this.#readNs) {
      this.#readNs = ns;
      this.#seenInRead = 0;
    }
    this.#seenInRead++;
    if (ns < this.#lastNs) return undefined;
    if (ns === this.#lastNs) {
      if (this.#seenInRead <= this.#emittedAtLast) return undefined;
      this.#emittedAtLast++;
      return line;
    }
    this.#lastNs = ns;
    this.#emittedAtLast = 1;
    return line;
  }

  /** Where a later read should start (whole seconds, as the API takes them); undefined: the start. */
  get sinceTime(): string | undefined {
    if (this.#lastNs < 0n) return undefined;
    const seconds = Number(this.#lastNs / 1_000_000_000n);
    return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  }
}

export function parseTimestampNs(text: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (m === null) return undefined;
  const ms = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

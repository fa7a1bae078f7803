/**
 * Token buckets by key: each key may spend `burst` at once and gets
 * `perMinute` back a minute. The map of keys is bounded: past `maxKeys` the
 * longest-idle key is forgotten (it would have been full again by then, or
 * nearly).
 */
export class RateLimiter {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  // Insertion order is least recently used first: a key is re-inserted on each use.
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(options: { perMinute: number; burst: number; maxKeys?: number }) {
    this.#perMs = options.perMinute / 60_000;
    this.#burst = options.burst;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /** Spends one for `key`: undefined if allowed, else how long until one is back (ms). */
  take(key: string, nowMs = Date.now()): number | undefined {
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, atMs: nowMs };
    this.#buckets.delete(key);
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (nowMs - bucket.atMs) * this.#perMs);
    bucket.atMs = nowMs;
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return this.#perMs === 0
      ? Number.POSITIVE_INFINITY
      : Math.ceil((1 - bucket.tokens) / this.#perMs);
  }
}

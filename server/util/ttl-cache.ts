/**
 * A bounded cache whose entries expire: the oldest entry goes when it is
 * full. Values are kept as given (promises too, so concurrent lookups of one
 * key share one answer; the caller deletes a promise that failed).
 */
export class TtlCache<V> {
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #entries = new Map<string, { value: V; expiresMs: number }>();

  constructor(options: { ttlMs: number; maxEntries: number }) {
    this.#ttlMs = options.ttlMs;
    this.#max = options.maxEntries;
  }

  get(key: string, nowMs = Date.now()): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresMs <= nowMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, nowMs = Date.now()): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresMs: nowMs + this.#ttlMs });
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** The cached value of `key`, else `make()`'s, cached; a rejected promise is not kept. */
export function cached<V>(
  cache: TtlCache<Promise<V>>,
  key: string,
  make: () => Promise<V>,
): Promise<V> {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const value = make();
  cache.set(key, value);
  value.catch(() => cache.delete(key));
  return value;
}

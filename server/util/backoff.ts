/** How long to wait between tries: exponential from `initialMs`, capped, optionally jittered. */
export interface BackoffPolicy {
  /** Wait before the first retry. */
  initialMs: number;
  /** No wait is longer. */
  maxMs: number;
  /**
   * Each wait is taken down by a random share of up to this fraction of itself, so
   * many clients coming back at once do not retry in step; 0 waits exactly.
   * @default 0.5
   */
  jitter?: number;
  /** @default 2 */
  multiplier?: number;
}

/** The wait before retry number `retry` (1 for the first retry). */
export function backoffDelay(policy: BackoffPolicy, retry: number, random = Math.random): number {
  const { initialMs, maxMs, jitter = 0.5, multiplier = 2 } = policy;
  // The exponent is bounded so a long outage cannot overflow to Infinity.
  const ceiling = Math.min(maxMs, initialMs * multiplier ** Math.min(Math.max(0, retry - 1), 64));
  return jitter === 0 ? ceiling : ceiling * (1 - jitter * random());
}

/** A run of failures of one thing: each `next()` waits longer, `reset()` after a success. */
export class Backoff {
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  #failures = 0;

  constructor(policy: BackoffPolicy, random = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  /** Failures since the last reset. */
  get failures(): number {
    return this.#failures;
  }

  /** Counts one more failure and returns the wait before the next try. */
  next(): number {
    this.#failures++;
    return backoffDelay(this.#policy, this.#failures, this.#random);
  }

  reset(): void {
    this.#failures = 0;
  }
}

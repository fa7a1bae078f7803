import { Backoff, type BackoffPolicy } from "../../util/backoff.ts";

/**
 * Keys waiting to be reconciled. Adding a key already waiting does nothing,
 * so a burst of watch events for one worker costs one reconcile. A key whose
 * work failed is retried after a wait that grows with its failures, until it
 * is forgotten.
 */
export class WorkQueue {
  readonly #pending = new Set<string>();
  readonly #reconcile: (key: string) => void;
  readonly #policy: BackoffPolicy;
  readonly #failures = new Map<string, Backoff>();
  #scheduled = false;

  /** @param policy of retries; @default 200 ms doubling to 10 s, jittered */
  constructor(
    reconcile: (key: string) => void,
    policy: BackoffPolicy = { initialMs: 200, maxMs: 10_000 },
  ) {
    this.#reconcile = reconcile;
    this.#policy = policy;
  }

  add(key: string): void {
    this.#pending.add(key);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
  }

  /** Counts a failure of `key`'s work and returns how long to wait before trying again. */
  retryDelay(key: string): number {
    let backoff = this.#failures.get(key);
    if (backoff === undefined) {
      backoff = new Backoff(this.#policy);
      this.#failures.set(key, backoff);
    }
    return backoff.next();
  }

  /** Reconciles `key` again after its backoff. */
  retry(key: string): void {
    setTimeout(() => this.add(key), this.retryDelay(key)).unref();
  }

  /** `key` is done with (its worker ended): its failures are forgotten. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  #drain(): void {
    this.#scheduled = false;
    const keys = [...this.#pending];
    this.#pending.clear();
    for (const key of keys) this.#reconcile(key);
  }
}

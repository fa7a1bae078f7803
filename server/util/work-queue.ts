import { Backoff, type BackoffPolicy } from "./backoff.ts";

export interface WorkQueueOptions {
  /**
   * Waits before a key whose reconcile threw is tried again.
   * @default 200 ms doubling to 10 s, jittered
   */
  policy?: BackoffPolicy;
  /** Told of each reconcile that threw (it is retried after its backoff). */
  onError?: (key: string, error: unknown) => void;
}

/**
 * Keys waiting to be reconciled, the way client-go's rate-limited work queue
 * keeps them: adding a key already waiting does nothing (a burst of watch
 * events costs one reconcile); a key is never reconciled twice at once (one
 * added while it is being reconciled waits for that to end); a reconcile that
 * throws is retried after a wait that grows with that key's failures, and a
 * reconcile that succeeds forgets them.
 */
export class WorkQueue {
  readonly #pending = new Set<string>();
  readonly #active = new Set<string>();
  /** Keys added while being reconciled: reconciled again once that ends. */
  readonly #dirty = new Set<string>();
  readonly #reconcile: (key: string) => unknown;
  readonly #policy: BackoffPolicy;
  readonly #onError: ((key: string, error: unknown) => void) | undefined;
  readonly #failures = new Map<string, Backoff>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #scheduled = false;
  #stopped = false;

  constructor(reconcile: (key: string) => unknown, options: WorkQueueOptions = {}) {
    this.#reconcile = reconcile;
    this.#policy = options.policy ?? { initialMs: 200, maxMs: 10_000 };
    this.#onError = options.onError;
  }

  add(key: string): void {
    if (this.#stopped) return;
    if (this.#active.has(key)) {
      this.#dirty.add(key);
      return;
    }
    this.#pending.add(key);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
  }

  /** Adds `key` after `ms`. */
  addAfter(key: string, ms: number): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.add(key);
    }, ms);
    timer.unref();
    this.#timers.add(timer);
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
  #retry(key: string): void {
    this.addAfter(key, this.retryDelay(key));
  }

  /** `key` is done with: its failures are forgotten. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** Takes no more keys; what is being reconciled finishes. */
  stop(): void {
    this.#stopped = true;
    this.#pending.clear();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #drain(): void {
    this.#scheduled = false;
    const keys = [...this.#pending];
    this.#pending.clear();
    for (const key of keys) this.#process(key);
  }

  #process(key: string): void {
    this.#active.add(key);
    const finished = (error: unknown, failed: boolean) => {
      this.#active.delete(key);
      if (failed) {
        this.#onError?.(key, error);
        this.#retry(key);
      }
      if (this.#dirty.delete(key)) this.add(key);
    };
    let result: unknown;
    try {
      result = this.#reconcile(key);
    } catch (error) {
      finished(error, true);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        () => {
          this.forget(key);
          finished(undefined, false);
        },
        (error: unknown) => finished(error, true),
      );
    } else {
      finished(undefined, false);
    }
  }
}

/**
 * Keys waiting to be reconciled. Adding a key already waiting does nothing,
 * so a burst of watch events for one worker costs one reconcile.
 */
export class WorkQueue {
  readonly #pending = new Set<string>();
  readonly #reconcile: (key: string) => void;
  #scheduled = false;

  constructor(reconcile: (key: string) => void) {
    this.#reconcile = reconcile;
  }

  add(key: string): void {
    this.#pending.add(key);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
  }

  #drain(): void {
    this.#scheduled = false;
    const keys = [...this.#pending];
    this.#pending.clear();
    for (const key of keys) this.#reconcile(key);
  }
}

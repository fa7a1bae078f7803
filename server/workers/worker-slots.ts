import PQueue from "p-queue";

export const notStarted = Symbol("notStarted");

/**
 * The one cap on workers running at once, across all pipelines and tasks.
 * Admission is first come, first served. A slot is held until the worker is
 * really gone, so a stopping worker still counts against the cap.
 */
export class WorkerSlots {
  readonly #queue: PQueue;

  constructor(max: number) {
    this.#queue = new PQueue({ concurrency: max });
  }

  get max(): number {
    return this.#queue.concurrency;
  }

  /** Workers holding a slot now. */
  get running(): number {
    return this.#queue.pending;
  }

  /** Workers waiting for a slot. */
  get waiting(): number {
    return this.#queue.size;
  }

  /**
   * Runs `task` once a slot is free. If `signal` aborts while it waits, it
   * never runs and `notStarted` comes back; once it runs, `task` alone
   * decides when the slot is given back.
   */
  async run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T | typeof notStarted> {
    if (signal.aborted) return notStarted;
    // p-queue frees a slot as soon as its signal aborts, even for a running
    // task; so the queue only sees a signal that stops firing once we start.
    const waiting = new AbortController();
    const forward = () => waiting.abort(signal.reason);
    signal.addEventListener("abort", forward, { once: true });
    try {
      return await this.#queue.add(
        () => {
          signal.removeEventListener("abort", forward);
          return task();
        },
        { signal: waiting.signal },
      );
    } catch (error) {
      if (waiting.signal.aborted) return notStarted;
      throw error;
    } finally {
      signal.removeEventListener("abort", forward);
    }
  }

  /** Resolves once no worker holds or waits for a slot. */
  onIdle(): Promise<void> {
    return this.#queue.onIdle();
  }
}

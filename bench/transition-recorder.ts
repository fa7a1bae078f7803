/**
 * Times hand-offs along chains of steps: from step i-1 finishing to step i
 * starting, per chain. The engine benchmark and its p-queue baseline share
 * this, so both pay the same bookkeeping.
 */
export class TransitionRecorder {
  readonly #finishedAt = new Map<string, number>();
  readonly #started = new Set<string>();
  /** One sample per transition, in microseconds, in the order observed. */
  readonly samplesUs: number[] = [];

  /** A unit of step `step` of `chain` has finished; the last one counts. */
  finished(chain: string, step: number): void {
    this.#finishedAt.set(`${chain}#${step}`, performance.now());
  }

  /** A unit of step `step` of `chain` has started; the first one counts. */
  started(chain: string, step: number): void {
    const now = performance.now();
    const key = `${chain}#${step}`;
    if (this.#started.has(key)) return;
    this.#started.add(key);
    if (step === 0) return;
    const previous = this.#finishedAt.get(`${chain}#${step - 1}`);
    if (previous !== undefined) this.samplesUs.push((now - previous) * 1000);
  }
}

/** Waits for a condition that events make true: call notify() after each event. */
export class Waiter {
  #waiting: { check: () => boolean; resolve: () => void }[] = [];

  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push({ check, resolve }));
  }

  notify(): void {
    this.#waiting = this.#waiting.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }
}

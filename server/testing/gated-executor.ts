import type { Executor, WorkerOutcome, WorkerSpec } from "../executor/executor.ts";
import { stoppedBy } from "../executor/executor.ts";

/**
 * An executor with no processes whose workers of a stage named `gate` (or starting with it)
 * wait until the test opens the gate; every other worker succeeds at once. Tests use it to
 * hold a pipeline in the middle, with no sleeps.
 */
export class GatedExecutor implements Executor {
  readonly name = "gated";
  #open = false;
  #waiting: (() => void)[] = [];
  #started: (() => void)[] = [];
  gated = 0;

  /** Lets every gated worker, waiting or to come, finish. */
  open(): void {
    this.#open = true;
    for (const wake of this.#waiting.splice(0)) wake();
  }

  /** Resolves once a gated worker is waiting. */
  gateReached(): Promise<void> {
    if (this.gated > 0) return Promise.resolve();
    return new Promise((resolve) => this.#started.push(resolve));
  }

  readonly runWorker: Executor["runWorker"] = async (spec: WorkerSpec, hooks, signal) => {
    if (signal.aborted) return stoppedBy(signal);
    hooks.started();
    if (spec.stageId?.startsWith("gate") === true && !this.#open) {
      hooks.log("stdout", "waiting at the gate");
      this.gated++;
      for (const wake of this.#started.splice(0)) wake();
      const released = await new Promise<boolean>((resolve) => {
        const abort = () => resolve(false);
        signal.addEventListener("abort", abort, { once: true });
        this.#waiting.push(() => {
          signal.removeEventListener("abort", abort);
          resolve(true);
        });
      });
      if (!released) return stoppedBy(signal);
    }
    hooks.log("stdout", `${spec.stageId ?? spec.workerId} done`);
    const outcome: WorkerOutcome = { phase: "succeeded", exitCode: 0, reason: "exit code 0" };
    return outcome;
  };

  async close(): Promise<void> {}
}

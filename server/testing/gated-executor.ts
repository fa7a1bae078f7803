import type { Executor, WorkerOutcome, WorkerSpec } from "../executor/executor.ts";
import { stoppedBy } from "../executor/executor.ts";

interface Gate {
  open: boolean;
  waiting: (() => void)[];
  reached: (() => void)[];
  workers: number;
}

/**
 * An executor with no processes whose workers of a stage named `gate…` wait until the test
 * opens that stage's gate; every other worker succeeds at once. Tests use it to hold a
 * pipeline in the middle, with no sleeps.
 */
export class GatedExecutor implements Executor {
  readonly name = "gated";
  readonly #gates = new Map<string, Gate>();

  #gate(stageId: string): Gate {
    let gate = this.#gates.get(stageId);
    if (gate === undefined) {
      gate = { open: false, waiting: [], reached: [], workers: 0 };
      this.#gates.set(stageId, gate);
    }
    return gate;
  }

  #all = false;

  /** Lets the workers of the stage (of every gated stage, without one), waiting or to come, finish. */
  open(stageId?: string): void {
    if (stageId === undefined) this.#all = true;
    else this.#gate(stageId).open = true;
    for (const [id, gate] of this.#gates) {
      if (stageId !== undefined && id !== stageId) continue;
      for (const wake of gate.waiting.splice(0)) wake();
    }
  }

  /** Resolves once a worker of the stage waits at its gate. */
  gateReached(stageId = "gate"): Promise<void> {
    const gate = this.#gate(stageId);
    if (gate.workers > 0) return Promise.resolve();
    return new Promise((resolve) => gate.reached.push(resolve));
  }

  readonly runWorker: Executor["runWorker"] = async (spec: WorkerSpec, hooks, signal) => {
    if (signal.aborted) return stoppedBy(signal);
    hooks.started();
    const stageId = spec.stageId ?? "";
    const gate = this.#gate(stageId);
    if (stageId.startsWith("gate") && !gate.open && !this.#all) {
      hooks.log("stdout", "waiting at the gate");
      gate.workers++;
      for (const wake of gate.reached.splice(0)) wake();
      const released = await new Promise<boolean>((resolve) => {
        const abort = () => resolve(false);
        signal.addEventListener("abort", abort, { once: true });
        gate.waiting.push(() => {
          signal.removeEventListener("abort", abort);
          resolve(true);
        });
      });
      if (!released) return stoppedBy(signal);
    }
    hooks.log("stdout", `${stageId || spec.workerId} done`);
    const outcome: WorkerOutcome = { phase: "succeeded", exitCode: 0, reason: "exit code 0" };
    return outcome;
  };

  async close(): Promise<void> {}
}

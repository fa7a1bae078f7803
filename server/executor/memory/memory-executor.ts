import type { Executor, WorkerSpec } from "../executor.ts";
import { stoppedBy } from "../executor.ts";

/** What a simulated worker does: print some lines, then exit after a while. */
export interface SimulatedWorker {
  lines?: string[];
  exitCode?: number;
  /** Milliseconds before it exits; 0 exits at once; Infinity runs until stopped. */
  durationMs?: number;
}

export type WorkerScript = (spec: WorkerSpec) => SimulatedWorker;

/**
 * An executor with no processes, for testing and benchmarking the engine
 * alone: each worker follows a script and records when it ran.
 */
export class MemoryExecutor implements Executor {
  readonly name = "memory";
  readonly #script: WorkerScript;
  readonly started: { spec: WorkerSpec; at: number }[] = [];
  running = 0;
  maxRunning = 0;
  /** Called after a worker starts; tests use it to observe timing. */
  onStart: ((spec: WorkerSpec) => void) | undefined;
  onFinish: ((spec: WorkerSpec) => void) | undefined;

  constructor(script: WorkerScript = () => ({})) {
    this.#script = script;
  }

  // Typed by the interface: a test double states no signature of its own.
  readonly runWorker: Executor["runWorker"] = async (spec, hooks, signal) => {
    if (signal.aborted) return stoppedBy(signal);
    const behaviour = this.#script(spec);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    this.started.push({ spec, at: performance.now() });
    hooks.started();
    this.onStart?.(spec);
    try {
      for (const line of behaviour.lines ?? []) hooks.log("stdout", line);
      const duration = behaviour.durationMs ?? 0;
      if (duration > 0) {
        const finished = await new Promise<boolean>((resolve) => {
          const timer = Number.isFinite(duration)
            ? setTimeout(() => done(true), duration)
            : undefined;
          const done = (ok: boolean) => {
            clearTimeout(timer);
            signal.removeEventListener("abort", abort);
            resolve(ok);
          };
          const abort = () => done(false);
          signal.addEventListener("abort", abort, { once: true });
        });
        if (!finished) return stoppedBy(signal);
      }
      const exitCode = behaviour.exitCode ?? 0;
      return exitCode === 0
        ? { phase: "succeeded", exitCode: 0, reason: "exit code 0" }
        : { phase: "failed", exitCode, reason: `exit code ${exitCode}` };
    } finally {
      this.running--;
      this.onFinish?.(spec);
    }
  };

  async close(): Promise<void> {}
}

import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { LineSplitter } from "../../util/line-splitter.ts";
import type { Executor, WorkerHooks, WorkerOutcome, WorkerSpec } from "../executor.ts";
import { stoppedBy } from "../executor.ts";
import { readSecretEnv } from "./secret-files.ts";
import { describeSpawnError } from "./spawn-error.ts";
import { createWorkerEnv } from "./worker-env.ts";

export interface LocalExecutorOptions {
  workspaceRoot: string;
  /** Time between SIGTERM and SIGKILL when a worker is stopped. */
  stopGraceMs: number;
  maxLineBytes: number;
  /** Where secretKeyRef values are read: `<dir>/<secret name>/<key>`; empty: none. */
  secretsDir?: string;
}

/** Runs each worker as a child process in its own process group. */
export class LocalExecutor implements Executor {
  readonly name = "local";
  readonly #options: LocalExecutorOptions;
  readonly #running = new Set<ChildProcess>();

  constructor(options: LocalExecutorOptions) {
    this.#options = options;
  }

  async createWorkspace(owner: string): Promise<string> {
    await mkdir(this.#options.workspaceRoot, { recursive: true });
    return mkdtemp(path.join(this.#options.workspaceRoot, `${owner.replace(/[^\w.-]/g, "_")}-`));
  }

  async removeWorkspace(workspace: string): Promise<void> {
    await rm(workspace, { recursive: true, force: true, maxRetries: 3 });
  }

  runWorker(spec: WorkerSpec, hooks: WorkerHooks, signal: AbortSignal): Promise<WorkerOutcome> {
    if (signal.aborted) return Promise.resolve(stoppedBy(signal));
    const [file, ...args] =
      spec.command.length === 1 ? ["sh", "-c", spec.command[0] ?? ""] : spec.command;
    let secrets: Record<string, string>;
    try {
      secrets = readSecretEnv(spec.secretEnv ?? [], this.#options.secretsDir ?? "");
    } catch (error) {
      return Promise.resolve({ phase: "failed", reason: (error as Error).message });
    }
    return new Promise((resolve) => {
      const child = spawn(file ?? "", args, {
        cwd: spec.workspace,
        env: { ...createWorkerEnv(spec), ...secrets },
        // Its own process group, so stopping it reaches everything it started.
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      this.#running.add(child);
      const out = new LineSplitter(this.#options.maxLineBytes, (l) => hooks.log("stdout", l));
      const err = new LineSplitter(this.#options.maxLineBytes, (l) => hooks.log("stderr", l));
      child.stdout?.on("data", (c: Buffer) => out.write(c));
      child.stderr?.on("data", (c: Buffer) => err.write(c));

      let killTimer: NodeJS.Timeout | undefined;
      let spawnError: Error | undefined;
      const stop = () => {
        signalGroup(child, "SIGTERM");
        killTimer = setTimeout(() => signalGroup(child, "SIGKILL"), this.#options.stopGraceMs);
        killTimer.unref();
      };
      signal.addEventListener("abort", stop, { once: true });
      child.once("spawn", () => hooks.started());
      child.once("error", (e) => {
        spawnError = e;
      });
      // Like a container: when the main process ends, whatever it left behind goes too.
      child.once("exit", () => signalGroup(child, "SIGKILL"));
      child.once("close", (code, sig) => {
        clearTimeout(killTimer);
        signal.removeEventListener("abort", stop);
        this.#running.delete(child);
        out.end();
        err.end();
        if (signal.aborted) return resolve(stoppedBy(signal));
        if (spawnError !== undefined) {
          return resolve({ phase: "failed", reason: describeSpawnError(spawnError, file ?? "") });
        }
        if (code === 0) return resolve({ phase: "succeeded", exitCode: 0, reason: "exit code 0" });
        if (code !== null)
          return resolve({ phase: "failed", exitCode: code, reason: `exit code ${code}` });
        resolve({ phase: "failed", reason: `killed by ${sig ?? "a signal"}` });
      });
    });
  }

  async close(): Promise<void> {
    const exits = [...this.#running].map(
      (child) => new Promise<void>((resolve) => child.once("close", () => resolve())),
    );
    for (const child of this.#running) signalGroup(child, "SIGTERM");
    const timer = setTimeout(() => {
      for (const child of this.#running) signalGroup(child, "SIGKILL");
    }, this.#options.stopGraceMs);
    await Promise.all(exits);
    clearTimeout(timer);
  }
}

function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // The group is already gone.
  }
}

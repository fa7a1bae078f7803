import { abortReason } from "../util/abort-reason.ts";

/** Kubernetes quantities for a worker's container; empty means the executor's default. */
export interface WorkerResources {
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
}

export const defaultResources: WorkerResources = {
  cpuRequest: "",
  cpuLimit: "",
  memoryRequest: "",
  memoryLimit: "",
};

/** What an executor needs to run one worker. */
export interface WorkerSpec {
  workerId: string;
  /** Index of this worker among `count` workers of its stage attempt or task. */
  index: number;
  count: number;
  image: string;
  /** One element runs through `sh -c`; several run directly. */
  command: readonly string[];
  env: Readonly<Record<string, string>>;
  /** Variables whose values come from Secrets, by reference only. */
  secretEnv?: readonly SecretEnv[];
  resources: WorkerResources;
  /** The engine stops the worker after this; an executor may also enforce it itself. */
  timeoutMs?: number;
  pipelineId?: string;
  stageId?: string;
  attempt?: number;
  taskId?: string;
  /** A directory shared by the workers of one pipeline or task, when the executor made one. */
  workspace?: string;
  /**
   * Set when a new controller continues this worker: whether the earlier one
   * had made it (so it must be found, never made again) and how many of its
   * lines are recorded already (the executor passes on every line; the first
   * `linesRecorded` are dropped before they are recorded).
   */
  recovered?: { created: boolean; linesRecorded: number };
}

export type WorkerStream = "stdout" | "stderr";

/** How an executor reports a worker's life while it runs. */
export interface WorkerHooks {
  /** The worker's process or container has really started. */
  started(): void;
  /**
   * The worker now exists where it runs (e.g. its Job was created or adopted): a later
   * controller must adopt it rather than make another.
   */
  created?(): void;
  /** One line of output, without its line break. */
  log(stream: WorkerStream, line: string): void;
  /** Why the worker is not progressing yet (e.g. an image pull failing); empty clears it. */
  waiting?(reason: string): void;
}

/** The outcome of a worker stopped by its signal, for whatever reason the signal gives. */
export function stoppedBy(signal: AbortSignal): WorkerOutcome {
  return { phase: "stopped", reason: abortReason(signal) };
}

export type WorkerOutcome =
  | { phase: "succeeded"; exitCode: 0; reason: string }
  | { phase: "failed"; exitCode?: number; reason: string }
  | {
      phase: "stopped";
      reason: string;
      /** The worker goes on where it runs (the controller is stopping): nothing is recorded of it. */
      leftRunning?: true;
    };

/**
 * Where workers run. The engine, ScaleUp/ScaleDown and the logs talk only to
 * this, so the local and Kubernetes executors are interchangeable.
 */
export interface Executor {
  readonly name: string;
  /** Connects to what runs the workers; the server is ready once it resolves. */
  start?(): Promise<void>;
  /** False while the executor cannot take workers (e.g. its watches are not synced). */
  readonly ready?: boolean;
  /**
   * Runs one worker to its end. Resolves (never rejects for the worker's own
   * failure) once the worker is gone and its output fully reported. Aborting
   * the signal stops the worker, and the outcome is then "stopped".
   */
  runWorker(spec: WorkerSpec, hooks: WorkerHooks, signal: AbortSignal): Promise<WorkerOutcome>;
  /** Makes a directory the workers of one owner share. Executors without shared directories have none. */
  createWorkspace?(owner: string): Promise<string | undefined>;
  removeWorkspace?(workspace: string): Promise<void>;
  /**
   * Shutdown is coming: stopping a worker, or closing, from now on leaves it running where it is
   * (for another controller to deal with) instead of stopping it. Only executors whose workers
   * can outlive the server have this.
   */
  leaveWorkersRunning?(): void;
  /** Stops every worker still running (unless told to leave them) and releases resources. */
  close(): Promise<void>;
  /**
   * The owner's (a pipeline's) results are recorded for good: what is left of its ended workers
   * (e.g. their Jobs, kept until now so a restarted controller could read them) may go.
   */
  releaseOwner?(pipelineId: string): Promise<void>;
}

/** An environment variable set from a key of a Secret (Kubernetes) or a secrets file (local). */
export interface SecretEnv {
  name: string;
  secretName: string;
  key: string;
}

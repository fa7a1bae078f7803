import type { WorkerStatus } from "../../gen/ottoscaler/v1/worker_pb.js";
import { OttoscalerError } from "../domain/errors.ts";
import type { ShutdownOptions } from "../domain/run-record.ts";
import { taskWorkerId } from "../domain/worker-id.ts";
import type { Executor, SecretEnv, WorkerOutcome, WorkerResources } from "../executor/executor.ts";
import type { BuildRecorder } from "../logs/build-recorder.ts";
import type { FollowerCache } from "../logs/follower-cache.ts";
import type { Logger } from "../observability/logger.ts";
import type { WorkerRegistry } from "./worker-registry.ts";
import type { WorkerRunner } from "./worker-runner.ts";

export interface TaskSpec {
  taskId: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  secretEnv?: SecretEnv[];
  resources: WorkerResources;
}

interface LiveWorker {
  index: number;
  stop: AbortController;
  ended: Promise<WorkerOutcome>;
}

interface Task {
  /** What its workers run: the latest ScaleUp's. */
  spec: TaskSpec;
  nextIndex: number;
  /** Workers not yet ended, in start order. */
  live: Map<string, LiveWorker>;
  workspace: Promise<string | undefined> | undefined;
}

export interface TaskManagerDeps {
  runner: WorkerRunner;
  executor: Executor;
  registry: WorkerRegistry;
  recorder: Pick<BuildRecorder, "nextTaskWorkerIndex" | "sealTask">;
  followers: Pick<FollowerCache, "forgetWorkers">;
  logger: Logger;
  /** Where groups are recorded so another controller can adopt their workers (WorkerGroups). */
  groups?: TaskGroupStore;
}

/** A group as a store keeps it: its task, and which of its workers have not ended. */
export interface TaskGroupRecord {
  taskId: string;
  spec: TaskSpec;
  live: number[];
  nextIndex: number;
}

export interface TaskGroupStore {
  /** Resolves once this record (or a newer one) is kept. */
  save(record: TaskGroupRecord): Promise<void>;
}

/** A worker a new controller adopts: where the one before had got to with it. */
export interface ContinuedWorker {
  index: number;
  /** Its last recorded status. */
  previous: WorkerStatus | undefined;
  linesRecorded: number;
}

const noWorkspace = Promise.resolve(undefined);

export interface ScaleResult {
  workers: WorkerStatus[];
  changed: string[];
}

/** Worker groups started by ScaleUp and stopped by ScaleDown. */
export class TaskManager {
  readonly #deps: TaskManagerDeps;
  readonly #retainFinished: number;
  readonly #tasks = new Map<string, Task>();
  readonly #finished: string[] = [];
  /** Set at a shutdown that leaves the workers running for the next controller. */
  #leaving = false;

  constructor(retainFinished: number, deps: TaskManagerDeps) {
    this.#retainFinished = retainFinished;
    this.#deps = deps;
  }

  async scaleUp(spec: TaskSpec, count: number): Promise<ScaleResult> {
    let task = this.#tasks.get(spec.taskId);
    if (task === undefined) {
      // Worker ids stay unique across restarts: they key the logs forwarded to Otto-handler.
      const nextIndex = this.#deps.recorder.nextTaskWorkerIndex(spec.taskId);
      task = { spec, nextIndex, live: new Map(), workspace: undefined };
      this.#tasks.set(spec.taskId, task);
    }
    task.spec = spec;
    const indexes = Array.from({ length: count }, (_, i) => task.nextIndex + i);
    task.nextIndex += count;
    // Recorded before any Job is made, so a controller that takes over claims every one of them.
    await this.#save(spec.taskId, task, indexes);
    const workspace = await this.#workspaceOf(task, spec.taskId);
    const changed = indexes.map((index) => this.#start(task, index, workspace));
    this.#deps.logger.info("workersScaledUp", { taskId: spec.taskId, workers: changed });
    return { workers: this.#deps.registry.list({ taskId: spec.taskId }), changed };
  }

  /**
   * Adopts the workers of a group an earlier controller started: each is run again under its
   * id, which finds its Job (or process) instead of making one.
   */
  continue(spec: TaskSpec, workers: ContinuedWorker[], nextIndex: number): void {
    const task: Task = { spec, nextIndex, live: new Map(), workspace: undefined };
    this.#tasks.set(spec.taskId, task);
    for (const worker of workers) {
      this.#start(task, worker.index, undefined, {
        recovered: { created: true, linesRecorded: worker.linesRecorded },
        previous: worker.previous,
      });
    }
    this.#deps.logger.info("workersScaledUp", {
      taskId: spec.taskId,
      workers: workers.map((w) => taskWorkerId(spec.taskId, w.index)),
    });
  }

  #start(
    task: Task,
    index: number,
    workspace: string | undefined,
    continued?: {
      recovered: { created: boolean; linesRecorded: number };
      previous: WorkerStatus | undefined;
    },
  ): string {
    const { spec } = task;
    const workerId = taskWorkerId(spec.taskId, index);
    const stop = new AbortController();
    const ended = this.#deps.runner.run(
      {
        workerId,
        index,
        count: task.live.size + 1,
        image: spec.image,
        command: spec.command,
        env: spec.env,
        ...(spec.secretEnv !== undefined && { secretEnv: spec.secretEnv }),
        resources: spec.resources,
        taskId: spec.taskId,
        ...(workspace !== undefined && { workspace }),
        ...(continued !== undefined && { recovered: continued.recovered }),
      },
      stop.signal,
      {},
      continued?.previous,
    );
    task.live.set(workerId, { index, stop, ended });
    void ended.then(() => this.#ended(spec.taskId, workerId));
    return workerId;
  }

  async #save(taskId: string, task: Task, extra: number[] = []): Promise<void> {
    if (this.#leaving) return;
    const live = [...[...task.live.values()].map((w) => w.index), ...extra];
    await this.#deps.groups?.save({ taskId, spec: task.spec, live, nextIndex: task.nextIndex });
  }

  /** Stops up to `count` live workers, newest first, and waits until they are gone. */
  async scaleDown(taskId: string, count: number): Promise<ScaleResult> {
    const task = this.#tasks.get(taskId);
    if (task === undefined) {
      throw new OttoscalerError("not-found", `taskId: no task "${taskId}"`);
    }
    const victims = [...task.live.entries()].reverse().slice(0, count);
    for (const [, worker] of victims) worker.stop.abort("scaled down");
    await Promise.all(victims.map(([, worker]) => worker.ended));
    const changed = victims.map(([id]) => id);
    this.#deps.logger.info("workersScaledDown", { taskId, workers: changed });
    return { workers: this.#deps.registry.list({ taskId }), changed };
  }

  /** Stops every task worker at shutdown, or lets them go (nothing more recorded) for the next controller. */
  async shutdown(reason: string, options: ShutdownOptions = {}): Promise<void> {
    this.#leaving = options.leaveRunning === true;
    const all = [...this.#tasks.values()].flatMap((task) => [...task.live.values()]);
    for (const worker of all) worker.stop.abort(reason);
    await Promise.all(all.map((worker) => worker.ended));
  }

  /**
   * The task's workspace, made on first use. The last worker's end removes it;
   * if that happened while we waited, the one we got is gone: make another.
   */
  async #workspaceOf(task: Task, taskId: string): Promise<string | undefined> {
    for (;;) {
      task.workspace ??= this.#deps.executor.createWorkspace?.(`task-${taskId}`) ?? noWorkspace;
      const pending = task.workspace;
      const workspace = await pending;
      if (task.workspace === pending) return workspace;
    }
  }

  #ended(taskId: string, workerId: string): void {
    const task = this.#tasks.get(taskId);
    if (task === undefined) return;
    task.live.delete(workerId);
    if (this.#leaving) return;
    void this.#save(taskId, task).catch((error: unknown) =>
      this.#deps.logger.warn("runStatusFailed", { taskId, error: String(error) }),
    );
    this.#finished.push(workerId);
    if (task.live.size === 0) void this.#deps.recorder.sealTask(taskId);
    if (task.live.size === 0 && task.workspace !== undefined) {
      const workspace = task.workspace;
      task.workspace = undefined;
      void workspace
        .then((dir) => (dir === undefined ? undefined : this.#deps.executor.removeWorkspace?.(dir)))
        .catch(() => {});
    }
    while (this.#finished.length > this.#retainFinished) {
      const old = this.#finished.shift() as string;
      this.#deps.registry.remove([old]);
      this.#deps.followers.forgetWorkers([old]);
    }
  }
}

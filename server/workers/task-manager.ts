import type { WorkerStatus } from "../../gen/ottoscaler/v1/worker_pb.js";
import { OttoscalerError } from "../domain/errors.ts";
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
  stop: AbortController;
  ended: Promise<WorkerOutcome>;
}

interface Task {
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

  constructor(retainFinished: number, deps: TaskManagerDeps) {
    this.#retainFinished = retainFinished;
    this.#deps = deps;
  }

  async scaleUp(spec: TaskSpec, count: number): Promise<ScaleResult> {
    let task = this.#tasks.get(spec.taskId);
    if (task === undefined) {
      // Worker ids stay unique across restarts: they key the logs forwarded to Otto-handler.
      const nextIndex = this.#deps.recorder.nextTaskWorkerIndex(spec.taskId);
      task = { nextIndex, live: new Map(), workspace: undefined };
      this.#tasks.set(spec.taskId, task);
    }
    const workspace = await this.#workspaceOf(task, spec.taskId);
    const changed: string[] = [];
    for (let i = 0; i < count; i++) {
      const index = task.nextIndex++;
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
        },
        stop.signal,
      );
      task.live.set(workerId, { stop, ended });
      void ended.then(() => this.#ended(spec.taskId, workerId));
      changed.push(workerId);
    }
    this.#deps.logger.info("workersScaledUp", { taskId: spec.taskId, workers: changed });
    return { workers: this.#deps.registry.list({ taskId: spec.taskId }), changed };
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

  /** Stops every task worker, at shutdown. */
  async shutdown(reason: string): Promise<void> {
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

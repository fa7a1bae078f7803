import type { Config } from "./config/config.ts";
import { PipelineEngine } from "./engine/pipeline-engine.ts";
import { WorkerSlots } from "./engine/worker-slots.ts";
import type { Executor } from "./executor/executor.ts";
import {
  KubernetesExecutor,
  type KubernetesExecutorOptions,
} from "./executor/kubernetes/kubernetes-executor.ts";
import { LocalExecutor } from "./executor/local/local-executor.ts";
import { createClients, loadKubeConfig, resolveNamespace, runningInCluster } from "./k8s/client.ts";
import { LogHub } from "./logs/log-hub.ts";
import { createLogger, type Logger } from "./observability/logger.ts";
import { TaskManager } from "./workers/task-manager.ts";
import { WorkerRegistry } from "./workers/worker-registry.ts";
import { WorkerRunner } from "./workers/worker-runner.ts";

/** Everything the API serves, wired once. */
export interface App {
  config: Config;
  logger: Logger;
  executor: Executor;
  slots: WorkerSlots;
  registry: WorkerRegistry;
  logs: LogHub;
  engine: PipelineEngine;
  tasks: TaskManager;
  /**
   * Aborts when the server begins to shut down. Streams need not watch it:
   * shutdown ends every pipeline, worker and watch, and so every stream,
   * after its final events.
   */
  stopping: AbortSignal;
  /** Connects the executor; `ready` turns true once it has. */
  start(): Promise<void>;
  readonly ready: boolean;
  shutdown(reason?: string): Promise<void>;
}

/** The Kubernetes executor's options, as the configuration sets them. */
export function kubernetesExecutorOptions(config: Config): KubernetesExecutorOptions {
  return {
    namespace: resolveNamespace(config.namespace),
    defaults: {
      cpuRequest: config.workerCpuRequest,
      cpuLimit: config.workerCpuLimit,
      memoryRequest: config.workerMemoryRequest,
      memoryLimit: config.workerMemoryLimit,
    },
    imagePullPolicy: config.imagePullPolicy,
    runAsUser: config.workerRunAsUser,
    stopGraceMs: config.stopGraceMs,
    pendingGraceMs: config.pendingGraceSeconds * 1000,
    maxLineBytes: config.logMaxLineBytes,
  };
}

/** The executor the configuration asks for: Kubernetes inside a cluster unless told otherwise. */
export function createExecutor(config: Config, logger: Logger): Executor {
  const kind =
    config.executor === "auto" ? (runningInCluster() ? "kubernetes" : "local") : config.executor;
  if (kind === "local") {
    return new LocalExecutor({
      workspaceRoot: config.workspaceRoot,
      stopGraceMs: config.stopGraceMs,
      maxLineBytes: config.logMaxLineBytes,
    });
  }
  return new KubernetesExecutor(
    createClients(loadKubeConfig()),
    kubernetesExecutorOptions(config),
    logger,
  );
}

export function createApp(
  config: Config,
  parts: { executor?: Executor; logger?: Logger } = {},
): App {
  const logger =
    parts.logger ?? createLogger({ level: config.logLevel, language: config.logLanguage });
  const executor = parts.executor ?? createExecutor(config, logger);
  const slots = new WorkerSlots(config.maxWorkers);
  const registry = new WorkerRegistry();
  const logs = new LogHub({
    maxLinesPerWorker: config.logMaxLinesPerWorker,
    maxLinesPerBuild: config.logMaxLinesPerBuild,
  });
  const runner = new WorkerRunner({ executor, slots, registry, logs, logger });
  const engine = new PipelineEngine(
    {
      maxActivePipelines: config.maxActivePipelines,
      retainPipelines: config.retainPipelines,
      keepWorkspaces: config.keepWorkspaces,
    },
    { runner, executor, logs, registry, logger },
  );
  const tasks = new TaskManager(config.retainFinishedWorkers, {
    runner,
    executor,
    registry,
    logs,
    logger,
  });
  const stopping = new AbortController();
  let shutdown: Promise<void> | undefined;
  return {
    config,
    logger,
    executor,
    slots,
    registry,
    logs,
    engine,
    tasks,
    stopping: stopping.signal,
    async start() {
      await executor.start?.();
    },
    get ready() {
      return !stopping.signal.aborted && (executor.ready ?? true);
    },
    shutdown(reason = "server shutting down") {
      shutdown ??= (async () => {
        stopping.abort(reason);
        // Before the pipelines end: their workers (e.g. Jobs) keep running instead of being stopped.
        executor.leaveWorkersRunning?.();
        await Promise.all([engine.shutdown(reason), tasks.shutdown(reason)]);
        await executor.close();
        logs.close();
        registry.close();
      })();
      return shutdown;
    },
  };
}

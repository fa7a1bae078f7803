import type { Config } from "./config/config.ts";
import { PipelineEngine } from "./engine/pipeline-engine.ts";
import { WorkerSlots } from "./engine/worker-slots.ts";
import type { Executor } from "./executor/executor.ts";
import { LocalExecutor } from "./executor/local/local-executor.ts";
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
  shutdown(reason?: string): Promise<void>;
}

export function createExecutor(config: Config): Executor {
  return new LocalExecutor({
    workspaceRoot: config.workspaceRoot,
    stopGraceMs: config.stopGraceMs,
    maxLineBytes: config.logMaxLineBytes,
  });
}

export function createApp(
  config: Config,
  parts: { executor?: Executor; logger?: Logger } = {},
): App {
  const logger =
    parts.logger ?? createLogger({ level: config.logLevel, language: config.logLanguage });
  const executor = parts.executor ?? createExecutor(config);
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
    shutdown(reason = "server shutting down") {
      shutdown ??= (async () => {
        stopping.abort(reason);
        await Promise.all([engine.shutdown(reason), tasks.shutdown(reason)]);
        await executor.close();
        logs.close();
        registry.close();
      })();
      return shutdown;
    },
  };
}

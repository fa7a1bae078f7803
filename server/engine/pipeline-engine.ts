import { Code, ConnectError } from "@connectrpc/connect";
import type { PipelineSummary } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type { Executor } from "../executor/executor.ts";
import type { LogHub } from "../logs/log-hub.ts";
import type { Logger } from "../observability/logger.ts";
import type { WorkerRegistry } from "../workers/worker-registry.ts";
import type { WorkerRunner } from "../workers/worker-runner.ts";
import { PipelineRun } from "./pipeline-run.ts";
import type { PipelineSpec } from "./pipeline-spec.ts";
import { type StoredPipeline, summaryOf } from "./stored-pipelines.ts";

export interface PipelineEngineOptions {
  maxActivePipelines: number;
  retainPipelines: number;
  keepWorkspaces: boolean;
}

export interface PipelineEngineDeps {
  runner: WorkerRunner;
  executor: Executor;
  logs: LogHub;
  registry: WorkerRegistry;
  logger: Logger;
}

/** Starts, finds, cancels and forgets pipeline runs. */
export class PipelineEngine {
  readonly #options: PipelineEngineOptions;
  readonly #deps: PipelineEngineDeps;
  readonly #runs = new Map<string, PipelineRun>();
  readonly #finished: PipelineRun[] = [];
  #active = 0;

  constructor(options: PipelineEngineOptions, deps: PipelineEngineDeps) {
    this.#options = options;
    this.#deps = deps;
    // Retention removed a finished pipeline from disk: it is gone everywhere.
    deps.logs.store.onRemoved((journal) => {
      const run = this.#runs.get(journal.id);
      if (journal.kind !== "pipeline" || run === undefined || !run.finished) return;
      const index = this.#finished.indexOf(run);
      if (index >= 0) this.#finished.splice(index, 1);
      this.#forget(run);
    });
  }

  get activeCount(): number {
    return this.#active;
  }

  start(spec: PipelineSpec): PipelineRun {
    const { store } = this.#deps.logs;
    if (this.#runs.has(spec.pipelineId) || store.get("pipeline", spec.pipelineId)) {
      throw new ConnectError(
        `pipelineId: pipeline "${spec.pipelineId}" already exists`,
        Code.AlreadyExists,
      );
    }
    const removed = store.removed("pipeline", spec.pipelineId);
    if (removed !== undefined) {
      // Its worker ids and event numbers key what Otto-handler stored: a new build under the
      // same id would be taken for duplicates there.
      throw new ConnectError(
        `pipelineId: pipeline "${spec.pipelineId}" ran before (its logs were removed by retention at ${removed.removedAt}); a pipeline id is used once`,
        Code.AlreadyExists,
      );
    }
    if (this.#active >= this.#options.maxActivePipelines) {
      throw new ConnectError(
        `too many pipelines running (${this.#active}, limit ${this.#options.maxActivePipelines}); retry later`,
        Code.ResourceExhausted,
      );
    }
    const run = new PipelineRun(spec, {
      runner: this.#deps.runner,
      executor: this.#deps.executor,
      logs: this.#deps.logs,
      logger: this.#deps.logger,
      keepWorkspaces: this.#options.keepWorkspaces,
    });
    this.#runs.set(run.id, run);
    this.#active++;
    run.start();
    void run.done.then(() => this.#retire(run));
    return run;
  }

  get(pipelineId: string): PipelineRun {
    const run = this.#runs.get(pipelineId);
    if (run === undefined) {
      throw new ConnectError(`pipelineId: no pipeline "${pipelineId}"`, Code.NotFound);
    }
    return run;
  }

  /** A pipeline in memory, or else a finished one from the store. */
  find(pipelineId: string): PipelineRun | StoredPipeline {
    const run = this.#runs.get(pipelineId);
    if (run !== undefined) return run;
    const { store } = this.#deps.logs;
    const journal = store.get("pipeline", pipelineId);
    if (journal === undefined) {
      const removed = store.removed("pipeline", pipelineId);
      throw new ConnectError(
        removed === undefined
          ? `pipelineId: no pipeline "${pipelineId}"`
          : `pipelineId: pipeline "${pipelineId}" was removed by retention at ${removed.removedAt}`,
        Code.NotFound,
      );
    }
    return { journal, summary: summaryOf(journal) };
  }

  /** In memory and in the store, newest first. */
  list(): PipelineSummary[] {
    const live = [...this.#runs.values()].map((run) => run.summary());
    const stored = this.#deps.logs.store
      .list("pipeline")
      .filter((journal) => !this.#runs.has(journal.id))
      .map(summaryOf);
    const seconds = (s: PipelineSummary) =>
      Number(s.createdAt?.seconds ?? 0n) + (s.createdAt?.nanos ?? 0) / 1e9;
    return [...stored, ...live].sort((a, b) => seconds(b) - seconds(a));
  }

  /** Cancels a pipeline and answers once it has ended (or after `waitMs`, if its workers are slow to go). */
  async cancel(pipelineId: string, reason: string, waitMs = 30_000): Promise<PipelineSummary> {
    const run = this.find(pipelineId);
    if (!(run instanceof PipelineRun) || !run.cancel(reason)) {
      throw new ConnectError(
        `pipelineId: pipeline "${pipelineId}" has already ended`,
        Code.FailedPrecondition,
      );
    }
    this.#deps.logger.info("pipelineCancelled", { pipelineId, reason });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([run.done, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    return run.summary();
  }

  /** Cancels every running pipeline and waits for them to end. */
  async shutdown(reason: string): Promise<void> {
    const running = [...this.#runs.values()].filter((run) => !run.finished);
    for (const run of running) run.cancel(reason);
    await Promise.all(running.map((run) => run.done));
  }

  #retire(run: PipelineRun): void {
    this.#active--;
    this.#finished.push(run);
    while (this.#finished.length > this.#options.retainPipelines) {
      this.#forget(this.#finished.shift() as PipelineRun);
    }
  }

  /** Drops a finished pipeline from memory (its journal, if still stored, serves it). */
  #forget(run: PipelineRun): void {
    this.#runs.delete(run.id);
    this.#deps.registry.remove(run.workerIds);
    this.#deps.logs.forgetWorkers(run.workerIds);
    this.#deps.logs.forgetBuild(run.id);
  }
}

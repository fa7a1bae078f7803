import type { PipelineSummary } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { OttoscalerError } from "../domain/errors.ts";
import type { ResumeState, RunStore, ShutdownOptions } from "../domain/run-record.ts";
import type { Executor } from "../executor/executor.ts";
import type { PipelineArchive } from "../logs/pipeline-archive.ts";
import { type Logger, withFields } from "../observability/logger.ts";
import type { PipelineMetrics } from "../observability/pipeline-metrics.ts";
import { traceIdOf } from "../observability/trace-context.ts";
import type { WorkerRegistry } from "../workers/worker-registry.ts";
import type { WorkerRunner } from "../workers/worker-runner.ts";
import { type PipelineFollowers, type PipelineRecorder, PipelineRun } from "./pipeline-run.ts";
import type { PipelineSpec } from "./pipeline-spec.ts";
import type { PipelineView } from "./pipeline-view.ts";
import { storedPipelineView } from "./stored-pipeline-view.ts";

export interface PipelineEngineOptions {
  /** Pipelines running at once; more are refused as exhausted. */
  maxActivePipelines: number;
  /** Finished pipelines kept in memory; older ones are read from the history. */
  retainPipelines: number;
  keepWorkspaces: boolean;
}

/** The pipelines that ran before (kept on disk), as the engine reads them. */
export type PipelineHistory = Pick<
  PipelineArchive,
  "has" | "get" | "removedAt" | "list" | "onRemoved"
>;

export interface PipelineEngineDeps {
  runner: WorkerRunner;
  executor: Executor;
  registry: WorkerRegistry;
  recorder: PipelineRecorder;
  followers: PipelineFollowers;
  history: PipelineHistory;
  logger: Logger;
  /**
   * Where runs are recorded so another controller can continue them (the cluster's
   * PipelineRuns); without one a run lives only in this process and its journal.
   */
  store?: PipelineRunStore;
  metrics?: Pick<PipelineMetrics, "observe">;
}

/** A RunStore that also makes each run's record before the run starts. */
export interface PipelineRunStore extends RunStore {
  /** Makes the run's durable record; throws an OttoscalerError (e.g. already-exists) if it cannot. */
  create(spec: PipelineSpec): Promise<void>;
  /** Records that the run is to be cancelled, so a controller continuing it cancels it too. */
  requestCancel?(pipelineId: string, reason: string): Promise<void>;
}

/** Starts, finds, cancels and forgets pipeline runs. */
export class PipelineEngine {
  readonly #options: PipelineEngineOptions;
  readonly #deps: PipelineEngineDeps;
  readonly #runs = new Map<string, PipelineRun>();
  readonly #finished: PipelineRun[] = [];
  /** Ids being started (their record is being made): a second start of one is refused. */
  readonly #starting = new Set<string>();
  #active = 0;

  constructor(options: PipelineEngineOptions, deps: PipelineEngineDeps) {
    this.#options = options;
    this.#deps = deps;
    // Retention removed a finished pipeline from disk: it is gone everywhere.
    deps.history.onRemoved((pipelineId) => {
      const run = this.#runs.get(pipelineId);
      if (run === undefined || !run.finished) return;
      const index = this.#finished.indexOf(run);
      if (index >= 0) this.#finished.splice(index, 1);
      this.#forget(run);
    });
  }

  get activeCount(): number {
    return this.#active;
  }

  /** Starts a new pipeline, once its record (if runs are recorded) is made. */
  async start(spec: PipelineSpec): Promise<PipelineRun> {
    const { history } = this.#deps;
    const id = spec.pipelineId;
    if (this.#runs.has(id) || history.has(id) || this.#starting.has(id)) {
      throw new OttoscalerError("already-exists", `pipelineId: pipeline "${id}" already exists`);
    }
    const removedAt = history.removedAt(id);
    if (removedAt !== undefined) {
      // Its worker ids and event numbers key what Otto-handler stored: a new build under the
      // same id would be taken for duplicates there.
      throw new OttoscalerError(
        "already-exists",
        `pipelineId: pipeline "${id}" ran before (its logs were removed by retention at ${removedAt}); a pipeline id is used once`,
      );
    }
    if (this.#active + this.#starting.size >= this.#options.maxActivePipelines) {
      throw new OttoscalerError(
        "exhausted",
        `too many pipelines running (${this.#active}, limit ${this.#options.maxActivePipelines}); retry later`,
      );
    }
    const { store } = this.#deps;
    if (store !== undefined) {
      this.#starting.add(id);
      try {
        await store.create(spec);
      } finally {
        this.#starting.delete(id);
      }
    }
    return this.#run(spec, undefined);
  }

  /**
   * Continues a pipeline an earlier controller started and did not finish, from its stored
   * events and record. Its journal is already in the history.
   */
  resume(spec: PipelineSpec, state: ResumeState): PipelineRun {
    const existing = this.#runs.get(spec.pipelineId);
    if (existing !== undefined) return existing;
    return this.#run(spec, state);
  }

  /** Whether this controller has run, runs or is starting this pipeline, or its id is used. */
  isKnown(pipelineId: string): boolean {
    const { history } = this.#deps;
    return (
      this.#runs.has(pipelineId) ||
      this.#starting.has(pipelineId) ||
      history.has(pipelineId) ||
      history.removedAt(pipelineId) !== undefined
    );
  }

  /** Whether a pipeline runs in this process now. */
  isRunning(pipelineId: string): boolean {
    const run = this.#runs.get(pipelineId);
    return run !== undefined && !run.finished;
  }

  #run(spec: PipelineSpec, resume: ResumeState | undefined): PipelineRun {
    const run = new PipelineRun(
      spec,
      {
        runner: this.#deps.runner,
        executor: this.#deps.executor,
        recorder: this.#deps.recorder,
        followers: this.#deps.followers,
        // Its log lines carry the trace id of the request that started it.
        logger:
          spec.traceparent === undefined
            ? this.#deps.logger
            : withFields(this.#deps.logger, { traceId: traceIdOf(spec.traceparent) }),
        keepWorkspaces: this.#options.keepWorkspaces,
        ...(this.#deps.store !== undefined && { store: this.#deps.store }),
        ...(this.#deps.metrics !== undefined && { metrics: this.#deps.metrics }),
      },
      resume,
    );
    this.#runs.set(run.id, run);
    this.#active++;
    run.start();
    void run.done.then(() => this.#retire(run));
    return run;
  }

  /** A pipeline in memory, or else a finished one from the history. */
  view(pipelineId: string): PipelineView {
    const run = this.#runs.get(pipelineId);
    if (run !== undefined) return run;
    const stored = this.#deps.history.get(pipelineId);
    if (stored !== undefined) return storedPipelineView(pipelineId, stored);
    const removedAt = this.#deps.history.removedAt(pipelineId);
    throw new OttoscalerError(
      "not-found",
      removedAt === undefined
        ? `pipelineId: no pipeline "${pipelineId}"`
        : `pipelineId: pipeline "${pipelineId}" was removed by retention at ${removedAt}`,
    );
  }

  /** In memory and in the history, newest first. */
  list(): PipelineSummary[] {
    const live = [...this.#runs.values()].map((run) => run.summary());
    const stored = this.#deps.history.list().filter((s) => !this.#runs.has(s.pipelineId));
    const seconds = (s: PipelineSummary) =>
      Number(s.createdAt?.seconds ?? 0n) + (s.createdAt?.nanos ?? 0) / 1e9;
    return [...stored, ...live].sort((a, b) => seconds(b) - seconds(a));
  }

  /** Cancels a pipeline and answers once it has ended (or after `waitMs`, if its workers are slow to go). */
  async cancel(pipelineId: string, reason: string, waitMs = 30_000): Promise<PipelineSummary> {
    this.view(pipelineId);
    const run = this.#runs.get(pipelineId);
    if (run !== undefined && !run.finished) {
      try {
        await this.#deps.store?.requestCancel?.(pipelineId, reason);
      } catch (error) {
        // Not recorded: this controller still cancels it; only a restart right now would not.
        this.#deps.logger.warn("runStatusFailed", { pipelineId, error: String(error) });
      }
    }
    if (run === undefined || !run.cancel(reason)) {
      throw new OttoscalerError(
        "precondition",
        `pipelineId: pipeline "${pipelineId}" has already ended`,
      );
    }
    this.#deps.logger.info("pipelineCancelled", { pipelineId, reason });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([run.done, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    return run.summary();
  }

  /** Cancels every running pipeline, finally stages and all (or leaves it for the next controller), and waits. */
  async shutdown(reason: string, options: ShutdownOptions = {}): Promise<void> {
    const running = [...this.#runs.values()].filter((run) => !run.finished);
    for (const run of running) {
      if (options.leaveRunning === true) run.detach(reason);
      else run.cancel(reason, { runFinally: false });
    }
    await Promise.all(running.map((run) => run.done));
  }

  #retire(run: PipelineRun): void {
    this.#active--;
    // A run left for another controller is not finished: nothing of it is kept here.
    if (!run.finished) {
      this.#runs.delete(run.id);
      return;
    }
    this.#finished.push(run);
    while (this.#finished.length > this.#options.retainPipelines) {
      this.#forget(this.#finished.shift() as PipelineRun);
    }
  }

  /** Drops a finished pipeline from memory (its history, if still stored, serves it). */
  #forget(run: PipelineRun): void {
    this.#runs.delete(run.id);
    this.#deps.registry.remove(run.workerIds);
    this.#deps.followers.forgetWorkers(run.workerIds);
    this.#deps.followers.forgetBuild(run.id);
  }
}

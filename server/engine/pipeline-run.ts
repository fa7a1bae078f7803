import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampNow } from "@bufbuild/protobuf/wkt";
import {
  type PipelineProgress,
  PipelineProgressSchema,
  PipelineStatus,
  type PipelineSummary,
  PipelineSummarySchema,
} from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { isFinal } from "../domain/pipeline-status.ts";
import type { AttemptRecord, ResumeState, RunRecord, RunStore } from "../domain/run-record.ts";
import type { Executor } from "../executor/executor.ts";
import type { BuildRecorder } from "../logs/build-recorder.ts";
import type { FollowerCache } from "../logs/follower-cache.ts";
import type { Logger } from "../observability/logger.ts";
import type { PipelineMetrics } from "../observability/pipeline-metrics.ts";
import { abortReason } from "../util/abort-reason.ts";
import { ReplayBuffer } from "../util/replay-buffer.ts";
import { sleep } from "../util/sleep.ts";
import type { WorkerRunner } from "../workers/worker-runner.ts";
import type { PipelineSpec, StageSpec } from "./pipeline-spec.ts";
import type { PipelineView, ProgressReadOptions } from "./pipeline-view.ts";
import { restoreRun } from "./restored-run.ts";
import { runStageAttempt, workerIdsOf } from "./stage-attempt.ts";
import { stageRetryDelayMs } from "./stage-retry.ts";

/** Where a pipeline's header, progress and summary are kept for good. */
export type PipelineRecorder = Pick<
  BuildRecorder,
  "openPipeline" | "recordProgress" | "sealPipeline"
>;

/** The live build logs followers read while a pipeline runs. */
export type PipelineFollowers = Pick<
  FollowerCache,
  "openBuild" | "closeBuild" | "forgetBuild" | "forgetWorkers"
>;

export interface PipelineRunDeps {
  runner: WorkerRunner;
  executor: Executor;
  recorder: PipelineRecorder;
  followers: PipelineFollowers;
  logger: Logger;
  keepWorkspaces: boolean;
  /** Keeps the run's record where another controller can continue it from. */
  store?: RunStore;
  metrics?: Pick<PipelineMetrics, "observe">;
}

interface StageState {
  spec: StageSpec;
  status: PipelineStatus;
  attempt: number;
  message: string;
  dependents: StageState[];
  /** Dependencies that have not succeeded yet. */
  waitingOn: number;
  /** Its attempts so far, the current one last. */
  attempts: AttemptRecord[];
}

/** Where a stage goes on from when a new controller continues its pipeline. */
type StageStart =
  | { kind: "fresh" }
  | { kind: "continue"; attempt: number; created: ReadonlySet<number> }
  | { kind: "retry"; attempt: number; waitMs: number };

/**
 * One pipeline's life: its stages' states and the history of its progress
 * events, which every watcher replays. Stages start as soon as all their
 * dependencies have succeeded; a failed stage skips everything after it.
 */
export class PipelineRun implements PipelineView {
  readonly spec: PipelineSpec;
  readonly events = new ReplayBuffer<PipelineProgress>();
  readonly createdAt: Timestamp;
  finishedAt: Timestamp | undefined;
  status = PipelineStatus.QUEUED;
  /** Every worker this pipeline created, for eviction. */
  readonly workerIds: string[] = [];
  readonly done: Promise<PipelineStatus>;

  readonly #deps: PipelineRunDeps;
  readonly #stages = new Map<string, StageState>();
  readonly #cancel = new AbortController();
  #completed = 0;
  #workspace: string | undefined;
  #resolveDone!: (status: PipelineStatus) => void;
  /** Set when the controller stops and leaves the run for the next one: nothing more is recorded. */
  #detached = false;
  readonly #resume: ResumeState | undefined;

  constructor(spec: PipelineSpec, deps: PipelineRunDeps, resume?: ResumeState) {
    this.spec = spec;
    this.#deps = deps;
    this.#resume = resume;
    this.createdAt = resume?.createdAt ?? timestampNow();
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    for (const stage of spec.stages) {
      this.#stages.set(stage.id, {
        spec: stage,
        status: PipelineStatus.UNSPECIFIED,
        attempt: 0,
        message: "",
        dependents: [],
        waitingOn: stage.dependsOn.length,
        attempts: [],
      });
    }
    for (const state of this.#stages.values()) {
      for (const dep of state.spec.dependsOn) this.#stages.get(dep)?.dependents.push(state);
    }
  }

  get id(): string {
    return this.spec.pipelineId;
  }

  get pipelineId(): string {
    return this.spec.pipelineId;
  }

  get finished(): boolean {
    return isFinal(this.status);
  }

  hasStage(stageId: string): boolean {
    return this.#stages.has(stageId);
  }

  async *progress({ signal, fromSequence = 1 }: ProgressReadOptions) {
    // Event i of the history has sequence i + 1.
    const from = Math.max(0, fromSequence - 1);
    for await (const read of this.events.read({ from, follow: true, signal })) {
      if ("item" in read) yield read.item;
    }
  }

  /** Starts the pipeline; progress goes to `events`, the end resolves `done`. */
  start(): void {
    // A run whose record was made but whose journal was not (the controller stopped in between)
    // starts from the beginning.
    if (this.#resume !== undefined && this.#resume.events.length > 0) {
      this.#continue(this.#resume);
      return;
    }
    this.#deps.recorder.openPipeline(this.id, {
      name: this.spec.name,
      stageIds: this.spec.stages.map((stage) => stage.id),
    });
    this.#deps.followers.openBuild(this.id);
    this.#emit("", PipelineStatus.QUEUED, 0, `pipeline ${this.id} queued`);
    void this.#begin();
  }

  /**
   * Goes on from where an earlier controller stopped: its events are replayed
   * (numbered on from the last), finished stages stay finished, a stage that
   * was running continues its attempt (its workers are adopted, not made
   * again) and a stage waiting to retry waits out what is left of its wait.
   */
  #continue(resume: ResumeState): void {
    for (const event of resume.events) this.events.append(event);
    this.#deps.recorder.openPipeline(this.id, {
      name: this.spec.name,
      stageIds: this.spec.stages.map((stage) => stage.id),
    });
    this.#deps.followers.openBuild(this.id, resume.logEntries);
    const restored = restoreRun([...this.#stages.keys()], resume.events, resume.record);
    for (const [id, saved] of restored.stages) {
      const state = this.#stages.get(id);
      if (state === undefined) continue;
      state.status = saved.status;
      state.attempt = saved.attempt;
      state.attempts = saved.attempts;
      if (isFinal(saved.status)) this.#completed++;
    }
    for (const state of this.#stages.values()) {
      state.waitingOn = state.spec.dependsOn.filter(
        (dep) => this.#stages.get(dep)?.status !== PipelineStatus.SUCCEEDED,
      ).length;
    }
    this.#deps.logger.info("pipelineResumed", {
      pipelineId: this.id,
      completed: this.#completed,
      stages: this.#stages.size,
      sequence: this.events.end,
    });
    if (restored.status === PipelineStatus.QUEUED) {
      void this.#begin();
      return;
    }
    this.status = PipelineStatus.RUNNING;
    for (const state of this.#stages.values()) {
      if (isFinal(state.status)) continue;
      const failedDep = state.spec.dependsOn.find((dep) => {
        const s = this.#stages.get(dep)?.status;
        return s !== undefined && isFinal(s) && s !== PipelineStatus.SUCCEEDED;
      });
      if (failedDep !== undefined && state.status === PipelineStatus.UNSPECIFIED) {
        this.#skip(state, failedDep);
      } else if (state.status === PipelineStatus.RETRYING) {
        const wait = stageRetryDelayMs(state.spec.retry, state.attempt + 1);
        const last = restored.stages.get(state.spec.id)?.lastEventAt ?? Date.now();
        const waitMs = Math.max(0, last + wait - Date.now());
        void this.#runStage(state, { kind: "retry", attempt: state.attempt + 1, waitMs });
      } else if (state.status !== PipelineStatus.UNSPECIFIED) {
        const record = state.attempts.find((a) => a.attempt === state.attempt);
        void this.#runStage(state, {
          kind: "continue",
          attempt: Math.max(1, state.attempt),
          created: new Set(record?.created ?? []),
        });
      } else if (state.waitingOn === 0) {
        this.#launch(state);
      }
    }
    this.#maybeFinish();
    this.#save();
  }

  /**
   * The controller is stopping and another will continue this run: its
   * workers are let go (an executor that can leave them running does), and
   * nothing more is recorded, so the run's journal and record stay where they
   * were for the next controller.
   */
  detach(reason: string): boolean {
    if (this.finished || this.#cancel.signal.aborted) return false;
    this.#detached = true;
    this.#cancel.abort(reason);
    this.events.close();
    this.#resolveDone(this.status);
    return true;
  }

  /** The run's record as a store keeps it. */
  record(): RunRecord {
    return {
      pipelineId: this.id,
      status: this.status,
      completedStages: this.#completed,
      totalStages: this.#stages.size,
      sequence: this.events.end,
      stages: [...this.#stages.values()].map((s) => ({
        id: s.spec.id,
        status: s.status,
        attempt: s.attempt,
        message: s.message,
        attempts: s.attempts,
      })),
    };
  }

  #save(): void {
    if (this.#detached) return;
    this.#deps.store?.save(this.id, () => this.record());
  }

  /** Stops running workers and ends the pipeline CANCELLED. False if it had already ended. */
  cancel(reason: string): boolean {
    if (this.finished || this.#cancel.signal.aborted) return false;
    this.#cancel.abort(reason);
    // Stages not started yet have nothing to stop: end them now.
    for (const state of this.#stages.values()) {
      if (state.status === PipelineStatus.UNSPECIFIED)
        this.#settle(state, PipelineStatus.CANCELLED, reason);
    }
    this.#maybeFinish();
    return true;
  }

  summary(): PipelineSummary {
    return create(PipelineSummarySchema, {
      pipelineId: this.id,
      name: this.spec.name,
      status: this.status,
      completedStages: this.#completed,
      totalStages: this.#stages.size,
      createdAt: this.createdAt,
      ...(this.finishedAt !== undefined && { finishedAt: this.finishedAt }),
      stages: [...this.#stages.values()].map((s) => ({
        id: s.spec.id,
        status: s.status === PipelineStatus.UNSPECIFIED ? PipelineStatus.QUEUED : s.status,
        attempt: s.attempt,
      })),
    });
  }

  async #begin(): Promise<void> {
    try {
      this.#workspace = await this.#deps.executor.createWorkspace?.(this.id);
    } catch (error) {
      const reason = `could not create the workspace: ${(error as Error).message}`;
      for (const state of this.#stages.values())
        this.#settle(state, PipelineStatus.SKIPPED, reason);
      this.#finish(PipelineStatus.FAILED, reason);
      return;
    }
    // Cancelled while the workspace was being made: the pipeline has already ended.
    if (this.#cancel.signal.aborted) return this.#cleanUp();
    this.status = PipelineStatus.RUNNING;
    this.#emit("", PipelineStatus.RUNNING, 0, `pipeline ${this.id} running`);
    this.#deps.logger.info("pipelineStarted", { pipelineId: this.id, stages: this.#stages.size });
    for (const state of this.#stages.values()) {
      if (state.waitingOn === 0) this.#launch(state);
    }
  }

  #launch(state: StageState): void {
    state.status = PipelineStatus.QUEUED;
    this.#emit(state.spec.id, PipelineStatus.QUEUED, 1, `stage ${state.spec.id} queued`);
    void this.#runStage(state);
  }

  async #runStage(state: StageState, from: StageStart = { kind: "fresh" }): Promise<void> {
    const { spec } = state;
    const signal = this.#cancel.signal;
    if (from.kind === "retry" && !(await sleep(from.waitMs, signal))) {
      return this.#stageEnded(state, PipelineStatus.CANCELLED, abortReason(signal, "cancelled"));
    }
    for (let attempt = from.kind === "fresh" ? 1 : from.attempt; ; attempt++) {
      state.attempt = attempt;
      const workerIds = workerIdsOf(this.id, spec, attempt);
      this.workerIds.push(...workerIds);
      const continued = from.kind === "continue" && from.attempt === attempt;
      let record = state.attempts.find((a) => a.attempt === attempt);
      if (record === undefined) {
        record = { attempt, workers: spec.workers, created: [], succeeded: 0, failed: 0 };
        state.attempts.push(record);
      }
      const current = record;
      const result = await runStageAttempt({
        pipelineId: this.id,
        stage: spec,
        attempt,
        workspace: this.#workspace,
        ...(this.spec.traceparent !== undefined && { traceparent: this.spec.traceparent }),
        runner: this.#deps.runner,
        signal,
        ...(continued && {
          recovered: {
            created: from.created,
            linesPerWorker: this.#resume?.linesPerWorker ?? new Map(),
          },
        }),
        onCreated: (index) => {
          if (current.created.includes(index)) return;
          current.created.push(index);
          this.#save();
        },
        onWorkerEnded: (outcome) => {
          if (outcome === "succeeded") current.succeeded++;
          else if (outcome === "failed") current.failed++;
        },
        onWaiting: (index, reason) => {
          const status =
            state.status === PipelineStatus.RUNNING
              ? PipelineStatus.RUNNING
              : PipelineStatus.QUEUED;
          this.#emit(spec.id, status, attempt, `worker ${index} waiting: ${reason}`, workerIds);
        },
        onRunning: () => {
          // A continued attempt was running already: its event is in the history.
          if (continued && state.status === PipelineStatus.RUNNING) return;
          state.status = PipelineStatus.RUNNING;
          this.#emit(
            spec.id,
            PipelineStatus.RUNNING,
            attempt,
            `attempt ${attempt} running`,
            workerIds,
          );
        },
      });
      if (result.kind === "succeeded") {
        return this.#stageEnded(state, PipelineStatus.SUCCEEDED, `attempt ${attempt} succeeded`);
      }
      if (result.kind === "cancelled") {
        return this.#stageEnded(state, PipelineStatus.CANCELLED, result.reason);
      }
      if (attempt >= spec.retry.maxAttempts) {
        const message = `attempt ${attempt} of ${spec.retry.maxAttempts} failed: ${result.reason}`;
        return this.#stageEnded(state, PipelineStatus.FAILED, message);
      }
      const delay = stageRetryDelayMs(spec.retry, attempt + 1);
      state.status = PipelineStatus.RETRYING;
      this.#emit(
        spec.id,
        PipelineStatus.RETRYING,
        attempt,
        `attempt ${attempt} failed: ${result.reason}; attempt ${attempt + 1} in ${delay}ms`,
      );
      this.#deps.logger.info("stageRetrying", {
        pipelineId: this.id,
        stageId: spec.id,
        attempt,
        delay,
      });
      if (!(await sleep(delay, signal))) {
        return this.#stageEnded(state, PipelineStatus.CANCELLED, abortReason(signal, "cancelled"));
      }
    }
  }

  #stageEnded(state: StageState, status: PipelineStatus, message: string): void {
    if (this.#detached) return;
    this.#settle(state, status, message);
    this.#deps.logger.info("stageFinished", {
      pipelineId: this.id,
      stageId: state.spec.id,
      status: PipelineStatus[status],
      attempt: state.attempt,
    });
    for (const next of state.dependents) {
      if (status === PipelineStatus.SUCCEEDED) {
        next.waitingOn--;
        if (next.waitingOn === 0 && next.status === PipelineStatus.UNSPECIFIED) this.#launch(next);
      } else {
        this.#skip(next, state.spec.id);
      }
    }
    this.#maybeFinish();
  }

  /** Skips a stage and everything after it, since `cause` did not succeed. */
  #skip(first: StageState, cause: string): void {
    const todo: [StageState, string][] = [[first, cause]];
    for (let item = todo.pop(); item !== undefined; item = todo.pop()) {
      const [state, because] = item;
      if (state.status !== PipelineStatus.UNSPECIFIED) continue;
      this.#settle(state, PipelineStatus.SKIPPED, `skipped: dependency ${because} did not succeed`);
      for (const next of state.dependents) todo.push([next, state.spec.id]);
    }
  }

  #settle(state: StageState, status: PipelineStatus, message: string): void {
    if (isFinal(state.status)) return;
    state.status = status;
    this.#completed++;
    this.#emit(state.spec.id, status, state.attempt, message);
  }

  #maybeFinish(): void {
    if (this.finished || this.#completed < this.#stages.size) return;
    const statuses = [...this.#stages.values()].map((s) => s.status);
    const status = this.#cancel.signal.aborted
      ? PipelineStatus.CANCELLED
      : statuses.every((s) => s === PipelineStatus.SUCCEEDED)
        ? PipelineStatus.SUCCEEDED
        : PipelineStatus.FAILED;
    const failed = statuses.filter((s) => s === PipelineStatus.FAILED).length;
    const message =
      status === PipelineStatus.CANCELLED
        ? `pipeline cancelled: ${abortReason(this.#cancel.signal, "cancelled")}`
        : status === PipelineStatus.SUCCEEDED
          ? "pipeline succeeded"
          : `pipeline failed: ${failed} stage(s) failed`;
    this.#finish(status, message);
  }

  #finish(status: PipelineStatus, message: string): void {
    if (this.#detached) return;
    this.status = status;
    this.finishedAt = timestampNow();
    this.#emit("", status, 0, message);
    this.events.close();
    this.#deps.followers.closeBuild(this.id);
    const sealed = this.#deps.recorder.sealPipeline(this.id, this.summary());
    this.#save();
    // Its Jobs stay until its end is recorded: a controller restarted before then reads them.
    const stored = (this.#deps.store?.settled(this.id) ?? Promise.resolve()).then(() =>
      this.#deps.executor.releaseOwner?.(this.id),
    );
    this.#deps.logger.info("pipelineFinished", {
      pipelineId: this.id,
      status: PipelineStatus[status],
    });
    void Promise.allSettled([this.#cleanUp(), sealed, stored]).finally(() =>
      this.#resolveDone(status),
    );
  }

  async #cleanUp(): Promise<void> {
    if (this.#workspace === undefined || this.#deps.keepWorkspaces) return;
    try {
      await this.#deps.executor.removeWorkspace?.(this.#workspace);
    } catch (error) {
      this.#deps.logger.warn("workspaceRemoveFailed", {
        pipelineId: this.id,
        workspace: this.#workspace,
        error: (error as Error).message,
      });
    }
  }

  #emit(
    stageId: string,
    status: PipelineStatus,
    attempt: number,
    message: string,
    workerIds: string[] = [],
  ): void {
    if (this.#detached) return;
    if (stageId !== "") {
      const state = this.#stages.get(stageId);
      if (state !== undefined) state.message = message;
    }
    const event = create(PipelineProgressSchema, {
      pipelineId: this.id,
      stageId,
      status,
      attempt,
      message,
      timestamp: timestampNow(),
      completedStages: this.#completed,
      totalStages: this.#stages.size,
      sequence: BigInt(this.events.end + 1),
      workerIds,
    });
    this.events.append(event);
    this.#deps.recorder.recordProgress(event);
    this.#deps.store?.observe?.(event);
    this.#deps.metrics?.observe(event);
    this.#save();
  }
}

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
import type { Executor } from "../executor/executor.ts";
import type { BuildRecorder } from "../logs/build-recorder.ts";
import type { FollowerCache } from "../logs/follower-cache.ts";
import type { Logger } from "../observability/logger.ts";
import { abortReason } from "../util/abort-reason.ts";
import { ReplayBuffer } from "../util/replay-buffer.ts";
import { sleep } from "../util/sleep.ts";
import type { WorkerRunner } from "../workers/worker-runner.ts";
import type { PipelineSpec, StageSpec } from "./pipeline-spec.ts";
import type { PipelineView, ProgressReadOptions } from "./pipeline-view.ts";
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
}

interface StageState {
  spec: StageSpec;
  status: PipelineStatus;
  attempt: number;
  dependents: StageState[];
  /** Dependencies that have not succeeded yet. */
  waitingOn: number;
}

/**
 * One pipeline's life: its stages' states and the history of its progress
 * events, which every watcher replays. Stages start as soon as all their
 * dependencies have succeeded; a failed stage skips everything after it.
 */
export class PipelineRun implements PipelineView {
  readonly spec: PipelineSpec;
  readonly events = new ReplayBuffer<PipelineProgress>();
  readonly createdAt: Timestamp = timestampNow();
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

  constructor(spec: PipelineSpec, deps: PipelineRunDeps) {
    this.spec = spec;
    this.#deps = deps;
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    for (const stage of spec.stages) {
      this.#stages.set(stage.id, {
        spec: stage,
        status: PipelineStatus.UNSPECIFIED,
        attempt: 0,
        dependents: [],
        waitingOn: stage.dependsOn.length,
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
    this.#deps.recorder.openPipeline(this.id, {
      name: this.spec.name,
      stageIds: this.spec.stages.map((stage) => stage.id),
    });
    this.#deps.followers.openBuild(this.id);
    this.#emit("", PipelineStatus.QUEUED, 0, `pipeline ${this.id} queued`);
    void this.#begin();
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

  async #runStage(state: StageState): Promise<void> {
    const { spec } = state;
    const signal = this.#cancel.signal;
    for (let attempt = 1; ; attempt++) {
      state.attempt = attempt;
      const workerIds = workerIdsOf(this.id, spec, attempt);
      this.workerIds.push(...workerIds);
      const result = await runStageAttempt({
        pipelineId: this.id,
        stage: spec,
        attempt,
        workspace: this.#workspace,
        runner: this.#deps.runner,
        signal,
        onWaiting: (index, reason) => {
          const status =
            state.status === PipelineStatus.RUNNING
              ? PipelineStatus.RUNNING
              : PipelineStatus.QUEUED;
          this.#emit(spec.id, status, attempt, `worker ${index} waiting: ${reason}`, workerIds);
        },
        onRunning: () => {
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
    this.status = status;
    this.finishedAt = timestampNow();
    this.#emit("", status, 0, message);
    this.events.close();
    this.#deps.followers.closeBuild(this.id);
    const sealed = this.#deps.recorder.sealPipeline(this.id, this.summary());
    this.#deps.logger.info("pipelineFinished", {
      pipelineId: this.id,
      status: PipelineStatus[status],
    });
    void Promise.allSettled([this.#cleanUp(), sealed]).finally(() => this.#resolveDone(status));
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
  }
}

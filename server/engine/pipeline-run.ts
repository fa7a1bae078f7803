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
import { topologicalOrder } from "./dag.ts";
import { type Combination, matrixEnv } from "./matrix.ts";
import { combinedStatus, isActive, stageInstances } from "./matrix-instances.ts";
import { mainOutcome, type Outcome, pipelineOutcome } from "./pipeline-outcome.ts";
import type { PipelineSpec, StageSpec } from "./pipeline-spec.ts";
import { checkFromSequence, type PipelineView, type ProgressReadOptions } from "./pipeline-view.ts";
import { restoreRun } from "./restored-run.ts";
import { skipReason } from "./skip-reason.ts";
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
  /** Dependencies that have not ended yet. */
  waitingOn: number;
  /** Whether a stage it depends on, directly or not, FAILED (its failure() is true). */
  failedUpstream: boolean;
  /** Its attempts so far, the current one last. */
  attempts: AttemptRecord[];
  /** A finally stage: it runs once every main stage has ended. */
  final: boolean;
  /** An instance of a matrix stage; `held` while its maxParallel keeps it from starting. */
  matrix?: { stageId: string; values: Combination; maxParallel: number; held: boolean };
}

/** Where a stage goes on from when a new controller continues its pipeline. */
type StageStart =
  | { kind: "fresh" }
  | { kind: "continue"; attempt: number; created: ReadonlySet<number> }
  | { kind: "retry"; attempt: number; waitMs: number };

/**
 * One pipeline's life: its stages' states and the history of its progress
 * events, which every watcher replays. A stage is due once all its
 * dependencies have ended: it runs if its `when` holds (by default, if they
 * all succeeded and nothing before them failed), else it is SKIPPED.
 * Once every main stage has ended, the finally stages run (a first cancel
 * stops the main stages only; a cancel while finally stages run stops them).
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
  /** The instances of each matrix stage, by the stage's id. */
  readonly #matrices = new Map<string, StageState[]>();
  readonly #cancel = new AbortController();
  /** Stops the finally stages: a second cancel, a shutdown, a detach. */
  readonly #cancelFinally = new AbortController();
  #completed = 0;
  /** Main stages that have not ended yet. */
  #mainLeft = 0;
  /** How the main stages ended, once they all have: the finally stages run from then on. */
  #main: Outcome | undefined;
  /** "timed out after 30s" once the pipeline's timeout has stopped its main stages. */
  #timedOut: string | undefined;
  #timeoutTimer: NodeJS.Timeout | undefined;
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
    const lists = [
      { final: false, instances: stageInstances(spec.stages) },
      { final: true, instances: stageInstances(spec.finally ?? []) },
    ];
    for (const { final, instances } of lists) {
      for (const { spec: stage, of } of instances) {
        const state: StageState = {
          spec: stage,
          status: PipelineStatus.UNSPECIFIED,
          attempt: 0,
          message: "",
          dependents: [],
          waitingOn: stage.dependsOn.length,
          failedUpstream: false,
          attempts: [],
          final,
          ...(of !== undefined && { matrix: { ...of, held: false } }),
        };
        this.#stages.set(stage.id, state);
        if (of !== undefined) {
          const members = this.#matrices.get(of.stageId) ?? [];
          members.push(state);
          this.#matrices.set(of.stageId, members);
        }
        if (!final) this.#mainLeft++;
      }
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
    if (this.finished) checkFromSequence(this.id, fromSequence, this.events.end);
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
      stageIds: [...this.#stages.keys()],
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
      stageIds: [...this.#stages.keys()],
    });
    this.#deps.followers.openBuild(this.id, resume.logEntries);
    const restored = restoreRun([...this.#stages.keys()], resume.events, resume.record);
    for (const [id, saved] of restored.stages) {
      const state = this.#stages.get(id);
      if (state === undefined) continue;
      state.status = saved.status;
      state.attempt = saved.attempt;
      state.attempts = saved.attempts;
      if (isFinal(saved.status)) {
        this.#completed++;
        if (!state.final) this.#mainLeft--;
      }
    }
    for (const state of this.#stages.values()) state.waitingOn = this.#unmet(state);
    for (const id of topologicalOrder([...this.#stages.values()].map((s) => s.spec))) {
      const state = this.#stages.get(id) as StageState;
      state.failedUpstream = this.#dependencies(state).some(
        (dep) => dep.status === PipelineStatus.FAILED || dep.failedUpstream,
      );
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
    if (this.#mainLeft === 0) this.#main = resume.record?.mainOutcome ?? this.#mainOutcome();
    else this.#armTimeout(restored.startedAt ?? Date.now());
    const due: StageState[] = [];
    for (const state of this.#stages.values()) {
      if (isFinal(state.status) || (state.final && this.#main === undefined)) continue;
      if (state.status === PipelineStatus.RETRYING) {
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
        due.push(state);
      }
    }
    this.#startDue(due);
    this.#maybeFinish();
    this.#save();
  }

  /** How many of a stage's dependencies have not ended yet. */
  #unmet(state: StageState): number {
    return this.#dependencies(state).filter((dep) => !isFinal(dep.status)).length;
  }

  /** The states of the stages a stage depends on. */
  #dependencies(state: StageState): StageState[] {
    return state.spec.dependsOn.map((dep) => this.#stages.get(dep) as StageState);
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
    clearTimeout(this.#timeoutTimer);
    this.#cancel.abort(reason);
    this.#cancelFinally.abort(reason);
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
      ...(this.#main !== undefined && { mainOutcome: this.#main }),
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

  /**
   * Stops running workers and ends the pipeline CANCELLED. A first cancel
   * stops the main stages and lets the finally stages run (unless
   * `runFinally` is false); a cancel while they run stops them too. False if
   * it had already ended or there was nothing left to stop.
   */
  cancel(reason: string, { runFinally = true }: { runFinally?: boolean } = {}): boolean {
    if (this.finished) return false;
    let stopped = false;
    if (this.#main === undefined && !this.#cancel.signal.aborted) {
      this.#cancel.abort(reason);
      stopped = true;
    }
    // Before the workspace is made there is nothing for finally stages to clean up.
    const stopFinally = !stopped || !runFinally || this.status === PipelineStatus.QUEUED;
    if (stopFinally && !this.#cancelFinally.signal.aborted) {
      this.#cancelFinally.abort(reason);
      stopped = true;
    }
    if (!stopped) return false;
    // Stages not started yet have nothing to stop: end them now.
    for (const state of this.#stages.values()) {
      const stops = state.final ? this.#cancelFinally.signal : this.#cancel.signal;
      if (state.status === PipelineStatus.UNSPECIFIED && stops.aborted)
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
    this.#armTimeout(Date.now());
    this.#deps.logger.info("pipelineStarted", { pipelineId: this.id, stages: this.#stages.size });
    this.#startDue([...this.#stages.values()].filter((s) => s.waitingOn === 0 && !s.final));
  }

  /**
   * Stages whose dependencies have all ended: each runs if its condition holds,
   * else is SKIPPED, and the stages after a skipped one are due in turn (a
   * worklist, not recursion: a skip may run down a 10,000-stage chain).
   */
  #startDue(due: readonly StageState[]): void {
    this.#release(due.filter((state) => this.#skipIfFalse(state)));
  }

  /** Stages have ended: those that now have all their dependencies ended are due. */
  #release(ended: StageState[]): void {
    for (let state = ended.pop(); state !== undefined; state = ended.pop()) {
      for (const next of state.dependents) {
        next.waitingOn--;
        if (next.waitingOn === 0 && this.#skipIfFalse(next)) ended.push(next);
      }
    }
  }

  /** Starts a due stage if its condition holds; true when it was SKIPPED instead. */
  #skipIfFalse(state: StageState): boolean {
    if (state.status !== PipelineStatus.UNSPECIFIED) return false;
    const deps = this.#dependencies(state);
    state.failedUpstream = deps.some(
      (dep) => dep.status === PipelineStatus.FAILED || dep.failedUpstream,
    );
    const reason = skipReason(state.spec, {
      final: state.final,
      main: this.#main?.status,
      deps: deps.map((dep) => ({ id: dep.spec.id, status: dep.status })),
      failedUpstream: state.failedUpstream,
      cancelled: this.#cancel.signal.aborted,
      ref: (path) => this.#ref(path),
    });
    if (reason === undefined) {
      this.#launch(state);
      return false;
    }
    this.#settle(state, PipelineStatus.SKIPPED, reason);
    return true;
  }

  /** An instance of a matrix stage has ended: one held by its maxParallel may start. */
  #unhold(stageId: string): void {
    const members = this.#matrices.get(stageId) ?? [];
    const next = members.find((m) => m.matrix?.held && m.status === PipelineStatus.UNSPECIFIED);
    if (next !== undefined) this.#launch(next);
  }

  /** A condition's reference: a parameter's value or a stage's status (a matrix's, combined). */
  #ref(path: string): string {
    if (path.startsWith("params.")) return this.spec.paramValues?.[path.slice(7)] ?? "";
    const id = /^stages\.(.+)\.status$/.exec(path)?.[1] ?? "";
    const statuses = this.#stages.has(id)
      ? [this.#stages.get(id)?.status]
      : (this.#matrices.get(id) ?? []).map((m) => m.status);
    return PipelineStatus[combinedStatus(statuses)] ?? "";
  }

  #launch(state: StageState): void {
    const { matrix } = state;
    if (matrix !== undefined && matrix.maxParallel > 0) {
      const active = (this.#matrices.get(matrix.stageId) ?? []).filter((m) =>
        isActive(m.status),
      ).length;
      matrix.held = active >= matrix.maxParallel;
      if (matrix.held) return;
    }
    state.status = PipelineStatus.QUEUED;
    this.#emit(state.spec.id, PipelineStatus.QUEUED, 1, `stage ${state.spec.id} queued`);
    void this.#runStage(state);
  }

  async #runStage(state: StageState, from: StageStart = { kind: "fresh" }): Promise<void> {
    const { spec } = state;
    const signal = state.final ? this.#cancelFinally.signal : this.#cancel.signal;
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
        env: {
          ...(state.matrix !== undefined && matrixEnv(state.matrix.values)),
          ...(state.final &&
            this.#main !== undefined && {
              OTTOSCALER_PIPELINE_STATUS: PipelineStatus[this.#main.status] ?? "",
            }),
          ...(this.spec.traceparent !== undefined && { TRACEPARENT: this.spec.traceparent }),
        },
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

  #stageEnded(state: StageState, ended: PipelineStatus, message: string): void {
    if (this.#detached) return;
    // Stopped by the pipeline's timeout, not by a cancel: the stage failed.
    const status =
      ended === PipelineStatus.CANCELLED && !state.final && this.#timedOut !== undefined
        ? PipelineStatus.FAILED
        : ended;
    this.#settle(state, status, message);
    this.#deps.logger.info("stageFinished", {
      pipelineId: this.id,
      stageId: state.spec.id,
      status: PipelineStatus[status],
      attempt: state.attempt,
    });
    this.#release([state]);
    if (state.matrix !== undefined) this.#unhold(state.matrix.stageId);
    this.#maybeFinish();
  }

  #settle(state: StageState, status: PipelineStatus, message: string): void {
    if (isFinal(state.status)) return;
    state.status = status;
    this.#completed++;
    if (!state.final) this.#mainLeft--;
    this.#emit(state.spec.id, status, state.attempt, message);
  }

  #maybeFinish(): void {
    if (this.finished || this.#detached) return;
    if (this.#main === undefined) {
      if (this.#mainLeft > 0) return;
      this.#main = this.#mainOutcome();
      if (this.#completed < this.#stages.size) this.#startFinally();
    }
    if (this.#completed < this.#stages.size) return;
    const finallyStatuses = [...this.#stages.values()].filter((s) => s.final).map((s) => s.status);
    const outcome = pipelineOutcome(
      this.#main,
      finallyStatuses,
      this.#cancelFinally.signal.aborted
        ? abortReason(this.#cancelFinally.signal, "cancelled")
        : undefined,
    );
    this.#finish(outcome.status, outcome.message);
  }

  #mainOutcome(): Outcome {
    const statuses = [...this.#stages.values()].filter((s) => !s.final).map((s) => s.status);
    const cancelled = this.#cancel.signal.aborted
      ? abortReason(this.#cancel.signal, "cancelled")
      : undefined;
    return mainOutcome(statuses, cancelled, this.#timedOut);
  }

  /** Every main stage has ended: the finally stages run, seeing how they ended. */
  #startFinally(): void {
    const main = this.#main as Outcome;
    this.#emit(
      "",
      PipelineStatus.RUNNING,
      0,
      `stages ended ${PipelineStatus[main.status]}: running the finally stages`,
    );
    const waiting = [...this.#stages.values()].filter(
      (s) => s.final && s.status === PipelineStatus.UNSPECIFIED,
    );
    if (this.#cancelFinally.signal.aborted) {
      const reason = abortReason(this.#cancelFinally.signal, "cancelled");
      for (const state of waiting) this.#settle(state, PipelineStatus.CANCELLED, reason);
      return;
    }
    this.#startDue(waiting.filter((s) => s.waitingOn === 0));
  }

  /** Stops the main stages when the pipeline's timeout passes, counted from `startedAt`. */
  #armTimeout(startedAt: number): void {
    const { timeoutMs } = this.spec;
    if (timeoutMs === undefined) return;
    const left = Math.max(0, startedAt + timeoutMs - Date.now());
    this.#timeoutTimer = setTimeout(() => this.#timeOut(timeoutMs), left);
  }

  #timeOut(timeoutMs: number): void {
    if (this.finished || this.#main !== undefined || this.#cancel.signal.aborted) return;
    this.#timedOut = `timed out after ${Number((timeoutMs / 1000).toFixed(3))}s`;
    const reason = `the pipeline ${this.#timedOut}`;
    this.#deps.logger.info("pipelineTimedOut", { pipelineId: this.id, timeoutMs });
    this.#cancel.abort(`stopped: ${reason}`);
    for (const state of this.#stages.values()) {
      if (!state.final && state.status === PipelineStatus.UNSPECIFIED)
        this.#settle(state, PipelineStatus.SKIPPED, `skipped: ${reason}`);
    }
    this.#maybeFinish();
  }

  #finish(status: PipelineStatus, message: string): void {
    if (this.#detached) return;
    clearTimeout(this.#timeoutTimer);
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

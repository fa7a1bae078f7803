import { timestampNow } from "@bufbuild/protobuf/wkt";
import { WorkerPhase, type WorkerStatus } from "../../gen/ottoscaler/v1/worker_pb.js";
import type { Executor, WorkerOutcome, WorkerSpec } from "../executor/executor.ts";
import type { BuildRecorder } from "../logs/build-recorder.ts";
import type { FollowerCache } from "../logs/follower-cache.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import { abortReason } from "../util/abort-reason.ts";
import type { WorkerRegistry } from "./worker-registry.ts";
import { notStarted, type WorkerSlots } from "./worker-slots.ts";

export interface WorkerRunnerDeps {
  executor: Executor;
  slots: WorkerSlots;
  registry: WorkerRegistry;
  /** Keeps every line and every task worker change for good. */
  recorder: Pick<BuildRecorder, "openWorker" | "recordTaskWorker">;
  /** Serves the newest lines to followers of the live logs. */
  followers: Pick<FollowerCache, "openWorker" | "add" | "closeWorker">;
  logger: Logger;
  metrics?: Pick<Metrics, "logLines" | "logBytes" | "slotWaitSeconds">;
}

/** What the owner of a worker wants to hear of it while it runs. */
export interface WorkerWatch {
  started?: () => void;
  /** The worker exists where it runs (see WorkerHooks.created). */
  created?: () => void;
  /** Why the worker is not progressing (empty when that has cleared). */
  waiting?: (reason: string) => void;
}

const phaseOf = {
  succeeded: WorkerPhase.SUCCEEDED,
  failed: WorkerPhase.FAILED,
  stopped: WorkerPhase.STOPPED,
} as const;

/**
 * The one path every worker takes, from a pipeline or a task: registered
 * PENDING, admitted by the cap, run by the executor with its output in the
 * log hub, and recorded with its outcome.
 */
export class WorkerRunner {
  readonly #deps: WorkerRunnerDeps;

  constructor(deps: WorkerRunnerDeps) {
    this.#deps = deps;
  }

  /**
   * @param previous The worker's last status, when a new controller continues a worker an
   * earlier one started: it is registered as it was, not as a new worker.
   */
  async run(
    spec: WorkerSpec,
    signal: AbortSignal,
    watch: WorkerWatch = {},
    previous?: WorkerStatus,
  ): Promise<WorkerOutcome> {
    const { executor, slots, registry, recorder, followers, logger, metrics } = this.#deps;
    const { workerId } = spec;
    // A task worker's every change is kept and forwarded with its task (a pipeline's workers
    // change within its progress events, which are kept with the pipeline).
    const changed = (worker: WorkerStatus | undefined) => {
      if (worker !== undefined && worker.taskId !== "") recorder.recordTaskWorker(worker);
    };
    // The log first: a task worker's journal must be open to record its first status.
    const lines = recorder.openWorker({
      workerId,
      ...(spec.pipelineId !== undefined && { pipelineId: spec.pipelineId }),
      ...(spec.stageId !== undefined && { stageId: spec.stageId }),
      ...(spec.attempt !== undefined && { attempt: spec.attempt }),
      ...(spec.taskId !== undefined && { taskId: spec.taskId }),
      ...(spec.recovered !== undefined && { firstSequence: spec.recovered.linesRecorded + 1 }),
    });
    // Lines an earlier controller recorded come again from the executor: dropped, counted.
    let toSkip = spec.recovered?.linesRecorded ?? 0;
    followers.openWorker(workerId, spec.recovered?.linesRecorded ?? 0);
    const registered =
      previous !== undefined
        ? registry.add({ ...previous })
        : registry.add({
            workerId,
            taskId: spec.taskId ?? "",
            pipelineId: spec.pipelineId ?? "",
            stageId: spec.stageId ?? "",
            attempt: spec.attempt ?? 0,
            index: spec.index,
            image: spec.image,
            command: [...spec.command],
            createdAt: timestampNow(),
          });
    // A continued worker's registration is no change: its journal has it already.
    if (previous === undefined) changed(registered);
    let running = previous?.phase === WorkerPhase.RUNNING;
    const hooks = {
      started: () => {
        if (running) {
          watch.started?.();
          return;
        }
        running = true;
        changed(
          registry.update(workerId, {
            phase: WorkerPhase.RUNNING,
            startedAt: timestampNow(),
            reason: "",
          }),
        );
        logger.debug("workerStarted", { workerId });
        watch.started?.();
      },
      log: (stream: "stdout" | "stderr", line: string) => {
        if (toSkip > 0) {
          toSkip--;
          return;
        }
        metrics?.logLines.inc({ stream });
        metrics?.logBytes.inc({ stream }, Buffer.byteLength(line));
        followers.add(lines.write(stream, line));
      },
      created: () => watch.created?.(),
      waiting: (reason: string) => {
        changed(registry.update(workerId, { reason }));
        watch.waiting?.(reason);
      },
    };
    let outcome: WorkerOutcome;
    try {
      const queuedAt = performance.now();
      const result = await slots.run(() => {
        metrics?.slotWaitSeconds.observe((performance.now() - queuedAt) / 1000);
        return executor.runWorker(spec, hooks, signal);
      }, signal);
      outcome =
        result === notStarted
          ? { phase: "stopped", reason: abortReason(signal, "stopped before it started") }
          : result;
    } catch (error) {
      // An executor bug or an infrastructure error: the worker fails, the server does not.
      outcome = { phase: "failed", reason: error instanceof Error ? error.message : String(error) };
    }
    if ("leftRunning" in outcome && outcome.leftRunning) {
      // It goes on without us: the next controller records what becomes of it.
      followers.closeWorker(workerId);
      return outcome;
    }
    changed(
      registry.update(workerId, {
        phase: phaseOf[outcome.phase],
        reason: outcome.reason,
        finishedAt: timestampNow(),
        ...("exitCode" in outcome &&
          outcome.exitCode !== undefined && { exitCode: outcome.exitCode }),
      }),
    );
    followers.closeWorker(workerId);
    logger.debug("workerFinished", { workerId, phase: outcome.phase, reason: outcome.reason });
    return outcome;
  }
}

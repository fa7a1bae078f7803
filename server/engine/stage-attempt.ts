import { pipelineWorkerId } from "../domain/worker-id.ts";
import type { WorkerOutcome, WorkerSpec } from "../executor/executor.ts";
import { abortReason } from "../util/abort-reason.ts";
import type { WorkerRunner } from "../workers/worker-runner.ts";
import type { StageSpec } from "./pipeline-spec.ts";

export interface AttemptContext {
  pipelineId: string;
  stage: StageSpec;
  attempt: number;
  workspace: string | undefined;
  /** Variables the engine sets for this attempt (matrix values, pipeline status, TRACEPARENT), over the stage's own. */
  env?: Record<string, string>;
  runner: WorkerRunner;
  /** Aborts when the pipeline is cancelled. */
  signal: AbortSignal;
  /** Called once, when the attempt's first worker really starts. */
  onRunning: () => void;
  /** A worker is held up, e.g. its image cannot be pulled. */
  onWaiting: (index: number, reason: string) => void;
  /** A worker's Job (or process) now exists: a later controller must adopt it, not make another. */
  onCreated?: (index: number) => void;
  onWorkerEnded?: (phase: WorkerOutcome["phase"]) => void;
  /** Set when a new controller continues this attempt: what the one before it got to. */
  recovered?: {
    created: ReadonlySet<number>;
    linesPerWorker: ReadonlyMap<string, number>;
  };
}

export type AttemptResult =
  | { kind: "succeeded" }
  | { kind: "failed"; reason: string }
  | { kind: "cancelled"; reason: string };

export function workerIdsOf(pipelineId: string, stage: StageSpec, attempt: number): string[] {
  return Array.from({ length: stage.workers }, (_, i) =>
    pipelineWorkerId(pipelineId, stage.id, attempt, i),
  );
}

/**
 * Runs one attempt of a stage: all its workers, through the cap. The attempt
 * succeeds when every worker exits 0; the first failure stops the others, and
 * the timeout (counted from the first worker's start) stops them all.
 */
export async function runStageAttempt(ctx: AttemptContext): Promise<AttemptResult> {
  const { stage, attempt, pipelineId } = ctx;
  const stop = new AbortController();
  const cancel = () => stop.abort(abortReason(ctx.signal, "cancelled"));
  ctx.signal.addEventListener("abort", cancel, { once: true });
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  let failure: string | undefined;
  let running = false;
  const onStarted = () => {
    if (running) return;
    running = true;
    ctx.onRunning();
    timer = setTimeout(() => {
      timedOut = true;
      stop.abort(`timed out after ${formatSeconds(stage.timeoutMs)}`);
    }, stage.timeoutMs);
  };
  try {
    await Promise.all(
      Array.from({ length: stage.workers }, async (_, index) => {
        const workerId = pipelineWorkerId(pipelineId, stage.id, attempt, index);
        const { recovered } = ctx;
        const spec: WorkerSpec = {
          workerId,
          index,
          count: stage.workers,
          image: stage.image,
          command: stage.command,
          env: ctx.env === undefined ? stage.env : { ...stage.env, ...ctx.env },
          ...(stage.secretEnv !== undefined && { secretEnv: stage.secretEnv }),
          resources: stage.resources,
          timeoutMs: stage.timeoutMs,
          pipelineId,
          stageId: stage.id,
          attempt,
          ...(ctx.workspace !== undefined && { workspace: ctx.workspace }),
          ...(recovered !== undefined && {
            recovered: {
              created: recovered.created.has(index),
              linesRecorded: recovered.linesPerWorker.get(workerId) ?? 0,
            },
          }),
        };
        const outcome = await ctx.runner.run(spec, stop.signal, {
          started: onStarted,
          created: () => ctx.onCreated?.(index),
          waiting: (reason) => {
            if (reason !== "") ctx.onWaiting(index, reason);
          },
        });
        ctx.onWorkerEnded?.(outcome.phase);
        if (outcome.phase === "failed" && failure === undefined && !stop.signal.aborted) {
          failure = `worker ${index} failed: ${outcome.reason}`;
          stop.abort(`stopped: worker ${index} of the stage failed`);
        }
      }),
    );
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener("abort", cancel);
  }
  if (ctx.signal.aborted)
    return { kind: "cancelled", reason: abortReason(ctx.signal, "cancelled") };
  if (failure !== undefined) return { kind: "failed", reason: failure };
  if (timedOut)
    return { kind: "failed", reason: `timed out after ${formatSeconds(stage.timeoutMs)}` };
  return { kind: "succeeded" };
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

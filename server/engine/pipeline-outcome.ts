import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";

export interface Outcome {
  status: PipelineStatus;
  message: string;
}

/**
 * How a pipeline's main stages ended, once all have: FAILED if it timed out,
 * CANCELLED if it was cancelled, FAILED if a stage failed, else SUCCEEDED (a SKIPPED stage does
 * not fail a pipeline by itself).
 */
export function mainOutcome(
  statuses: readonly PipelineStatus[],
  cancelled: string | undefined,
  timedOut?: string,
): Outcome {
  if (timedOut !== undefined)
    return { status: PipelineStatus.FAILED, message: `pipeline failed: ${timedOut}` };
  if (cancelled !== undefined || statuses.includes(PipelineStatus.CANCELLED)) {
    return {
      status: PipelineStatus.CANCELLED,
      message: `pipeline cancelled: ${cancelled ?? "cancelled"}`,
    };
  }
  const failed = statuses.filter((s) => s === PipelineStatus.FAILED).length;
  if (failed > 0) {
    return { status: PipelineStatus.FAILED, message: `pipeline failed: ${failed} stage(s) failed` };
  }
  return { status: PipelineStatus.SUCCEEDED, message: "pipeline succeeded" };
}

/**
 * The pipeline's outcome once its finally stages have ended too: that of its
 * main stages, unless a finally stage failed (FAILED) or was stopped by a
 * cancel while it ran (CANCELLED).
 */
export function pipelineOutcome(
  main: Outcome,
  finallyStatuses: readonly PipelineStatus[],
  cancelled: string | undefined,
): Outcome {
  const failed = finallyStatuses.filter((s) => s === PipelineStatus.FAILED).length;
  if (failed > 0) {
    const failure =
      main.status === PipelineStatus.FAILED
        ? main.message
        : `pipeline failed (stages: ${PipelineStatus[main.status]})`;
    return {
      status: PipelineStatus.FAILED,
      message: `${failure}; ${failed} finally stage(s) failed`,
    };
  }
  if (
    main.status !== PipelineStatus.CANCELLED &&
    finallyStatuses.includes(PipelineStatus.CANCELLED)
  ) {
    return {
      status: PipelineStatus.CANCELLED,
      message: `pipeline cancelled in its finally stages: ${cancelled ?? "cancelled"}`,
    };
  }
  return main;
}

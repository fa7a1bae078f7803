import { type PipelineProgress, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type { EventType } from "./event-recorder.ts";

/** The Kubernetes Event a progress event becomes on its PipelineRun, if it is worth one. */
export function runEventOf(
  progress: PipelineProgress,
): { type: EventType; reason: string; message: string } | undefined {
  const stage = progress.stageId;
  const message = stage === "" ? progress.message : `stage ${stage}: ${progress.message}`;
  // A worker held up (an image that cannot be pulled, an unschedulable pod) is news on its own.
  if (/^worker \d+ waiting: /.test(progress.message)) {
    return { type: "Warning", reason: "WorkerWaiting", message };
  }
  switch (progress.status) {
    case PipelineStatus.RUNNING:
      return stage === "" ? undefined : { type: "Normal", reason: "StageStarted", message };
    case PipelineStatus.RETRYING:
      return { type: "Warning", reason: "StageRetrying", message };
    case PipelineStatus.SUCCEEDED:
      return {
        type: "Normal",
        reason: stage === "" ? "PipelineSucceeded" : "StageSucceeded",
        message,
      };
    case PipelineStatus.FAILED:
      return { type: "Warning", reason: stage === "" ? "PipelineFailed" : "StageFailed", message };
    case PipelineStatus.CANCELLED:
      return {
        type: "Normal",
        reason: stage === "" ? "PipelineCancelled" : "StageCancelled",
        message,
      };
    case PipelineStatus.SKIPPED:
      return { type: "Normal", reason: "StageSkipped", message };
    default:
      return undefined;
  }
}

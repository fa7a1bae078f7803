import { type PipelineProgress, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type { EventType } from "./event-recorder.ts";

/** Which statuses are worth an Event, how it reads, and whether a pipeline's own event is. */
const outcomes = new Map<PipelineStatus, { type: EventType; verb: string; pipeline: boolean }>([
  [PipelineStatus.RUNNING, { type: "Normal", verb: "Started", pipeline: false }],
  [PipelineStatus.RETRYING, { type: "Warning", verb: "Retrying", pipeline: false }],
  [PipelineStatus.SUCCEEDED, { type: "Normal", verb: "Succeeded", pipeline: true }],
  [PipelineStatus.FAILED, { type: "Warning", verb: "Failed", pipeline: true }],
  [PipelineStatus.CANCELLED, { type: "Normal", verb: "Cancelled", pipeline: true }],
  [PipelineStatus.SKIPPED, { type: "Normal", verb: "Skipped", pipeline: false }],
]);

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
  const outcome = outcomes.get(progress.status);
  // A pipeline's own RUNNING and SKIPPED say nothing its stages' events do not.
  if (outcome === undefined || (stage === "" && !outcome.pipeline)) return undefined;
  const scope = stage === "" ? "Pipeline" : "Stage";
  return { type: outcome.type, reason: `${scope}${outcome.verb}`, message };
}

import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";

const finalStatuses = new Set([
  PipelineStatus.SUCCEEDED,
  PipelineStatus.FAILED,
  PipelineStatus.SKIPPED,
  PipelineStatus.CANCELLED,
]);

/** A status a pipeline or stage never leaves. */
export function isFinal(status: PipelineStatus): boolean {
  return finalStatuses.has(status);
}

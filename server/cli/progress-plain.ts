import { type PipelineProgress, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { pipelineStatusName } from "./enum-names.ts";
import { firstLine, formatDuration, toMs } from "./format.ts";
import { isFinalStageStatus, isRedundantMessage, type PipelineView } from "./progress-state.ts";

/** `worker ID` for one worker (for `ottoctl logs ID`); a count for several. */
function workers(ids: readonly string[]): string {
  return ids.length === 1 ? `worker ${ids[0]}` : `${ids.length} workers`;
}

/**
 * One line for one event, for logs and pipes: time since the pipeline's first event, the stage
 * (or "pipeline"), the status, then the details. Call it after applyProgress.
 */
export function formatProgressLine(event: PipelineProgress, view: PipelineView): string {
  const at = toMs(event.timestamp) ?? view.lastEventMs ?? 0;
  const since = `+${formatDuration(at - (view.startedMs ?? at))}`.padEnd(7);
  const stageWidth = Math.max(8, ...view.stages.map((s) => s.id.length));
  const status = pipelineStatusName(event.status).padEnd(9);
  const parts: string[] = [];

  if (event.stageId === "") {
    parts.push(`${event.completedStages}/${event.totalStages} stages`);
    if (view.endedMs !== undefined && view.startedMs !== undefined) {
      parts.push(formatDuration(view.endedMs - view.startedMs));
    }
    if (event.pipelineId !== "") parts.push(event.pipelineId);
  } else {
    const stage = view.stages.find((s) => s.id === event.stageId);
    if (event.attempt !== 0) parts.push(`attempt ${event.attempt}`);
    if (isFinalStageStatus(event.status)) {
      if (stage?.startedMs !== undefined && stage.endedMs !== undefined) {
        parts.push(formatDuration(stage.endedMs - stage.startedMs));
      }
      parts.push(`${event.completedStages}/${event.totalStages} stages`);
    }
    if (event.status === PipelineStatus.RUNNING && event.workerIds.length > 0) {
      parts.push(workers(event.workerIds));
    }
  }
  if (!isRedundantMessage(event)) parts.push(firstLine(event.message));

  const name = event.stageId === "" ? "pipeline" : event.stageId;
  return `${since} ${name.padEnd(stageWidth)}  ${status}  ${parts.join("  ")}`.trimEnd();
}

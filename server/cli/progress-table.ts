import { pipelineStatusName } from "./enum-names.ts";
import { firstLine, formatDuration } from "./format.ts";
import { type PipelineView, pipelineElapsedMs, stageElapsedMs } from "./progress-state.ts";

export const stageTableHeader = ["STAGE", "STATUS", "ATTEMPT", "ELAPSED", "WORKERS", "MESSAGE"];

/** The title line of the live view: name, id, status, stages done, elapsed. */
export function pipelineTitle(view: PipelineView, nowMs: number): string {
  const name = view.name === "" ? "Pipeline" : `Pipeline ${view.name}`;
  const id = view.pipelineId === "" ? "" : ` (${view.pipelineId})`;
  const elapsed = pipelineElapsedMs(view, nowMs);
  const parts = [
    `${name}${id}`,
    pipelineStatusName(view.status),
    `${view.completed}/${view.total} stages`,
  ];
  if (elapsed !== undefined) parts.push(formatDuration(elapsed));
  if (view.message !== "") parts.push(firstLine(view.message));
  return parts.join("  ");
}

/** One row per stage, in the order the stages became known. */
export function stageRows(view: PipelineView, nowMs: number): string[][] {
  return view.stages.map((stage) => {
    const elapsed = stageElapsedMs(stage, nowMs);
    return [
      stage.id,
      pipelineStatusName(stage.status),
      stage.attempt === 0 ? "-" : String(stage.attempt),
      elapsed === undefined ? "-" : formatDuration(elapsed),
      stage.workerIds.length === 0 ? "-" : String(stage.workerIds.length),
      stage.message === "" ? "" : firstLine(stage.message),
    ];
  });
}

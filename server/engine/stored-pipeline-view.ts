import type { StoredPipeline } from "../logs/pipeline-archive.ts";
import type { PipelineView, ProgressReadOptions } from "./pipeline-view.ts";

/** A stored pipeline (it ended before a restart, or was evicted) as a view: its events are all there are. */
export function storedPipelineView(pipelineId: string, stored: StoredPipeline): PipelineView {
  return {
    pipelineId,
    summary: () => stored.summary,
    hasStage: (stageId) => stored.summary.stages.some((stage) => stage.id === stageId),
    async *progress({ signal, fromSequence = 1 }: ProgressReadOptions) {
      for await (const event of stored.progress(signal)) {
        if (event.sequence >= BigInt(fromSequence)) yield event;
      }
    },
  };
}

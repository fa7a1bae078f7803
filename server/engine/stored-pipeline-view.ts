import { isFinal } from "../domain/pipeline-status.ts";
import type { StoredPipeline } from "../logs/pipeline-archive.ts";
import { checkFromSequence, type PipelineView, type ProgressReadOptions } from "./pipeline-view.ts";

/** A stored pipeline (it ended before a restart, or was evicted) as a view: its events are all there are. */
export function storedPipelineView(pipelineId: string, stored: StoredPipeline): PipelineView {
  return {
    pipelineId,
    summary: () => stored.summary,
    hasStage: (stageId) => stored.summary.stages.some((stage) => stage.id === stageId),
    async *progress({ signal, fromSequence = 1 }: ProgressReadOptions) {
      let last = 0;
      for await (const event of stored.progress(signal)) {
        last = Number(event.sequence);
        if (event.sequence >= BigInt(fromSequence)) yield event;
      }
      // A finished one's events are all there are: nothing past them will ever come. An
      // unfinished one is being continued (by a controller about to take it up): no answer yet.
      if (!signal.aborted && isFinal(stored.summary.status)) {
        checkFromSequence(pipelineId, fromSequence, last);
      }
    },
  };
}

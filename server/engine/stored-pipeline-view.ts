import type { PipelineProgress, PipelineSummary } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type { PipelineView, ProgressReadOptions } from "./pipeline-view.ts";

/** What the engine needs of a pipeline that is only stored (it ended before a restart, or was evicted). */
export interface StoredPipelineRecord {
  summary: PipelineSummary;
  progress(signal?: AbortSignal): AsyncIterable<PipelineProgress>;
}

/** A stored pipeline as a view: it has ended, so its events are all there are. */
export function storedPipelineView(pipelineId: string, stored: StoredPipelineRecord): PipelineView {
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

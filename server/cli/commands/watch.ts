import type { Context } from "../context.ts";
import { followPipeline } from "../follow-pipeline.ts";
import { createPipelineView } from "../progress-state.ts";

/** `ottoctl watch ID`: the pipeline's events from the start, then live, to the end. */
export async function watchCommand(ctx: Context, pipelineId: string): Promise<number> {
  const view = createPipelineView({ pipelineId });
  return followPipeline(ctx, view, (signal) =>
    ctx.clients.ottoscaler.watchPipeline({ pipelineId }, { signal }),
  );
}

import type { Context } from "../context.ts";
import { followPipeline } from "../follow-pipeline.ts";
import { loadPipelineFile } from "../pipeline-file.ts";
import { createPipelineView } from "../progress-state.ts";

/** `ottoctl run FILE`: starts the pipeline and follows it to the end. */
export async function runCommand(ctx: Context, file: string): Promise<number> {
  const request = await loadPipelineFile(file);
  const view = createPipelineView({
    pipelineId: request.pipelineId,
    name: request.name,
    stageIds: request.stages.map((s) => s.id),
  });
  return followPipeline(ctx, view, (signal) =>
    ctx.clients.ottoscaler.executePipeline(request, { signal }),
  );
}

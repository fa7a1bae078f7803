import { defineCommand } from "../command.ts";
import type { Context } from "../context.ts";
import { followPipeline } from "../follow-pipeline.ts";
import { createPipelineView } from "../progress-state.ts";

/** Follows the pipeline's events from the start, then live, to the end. */
async function watchPipeline(ctx: Context, pipelineId: string): Promise<number> {
  const view = createPipelineView({ pipelineId });
  return followPipeline(ctx, view, (signal) =>
    ctx.clients.ottoscaler.watchPipeline({ pipelineId }, { signal }),
  );
}

/** `ottoctl watch ID`. */
export const watchCommand = defineCommand({
  name: "watch",
  summary: [{ usage: "watch ID", text: "follow a pipeline's progress" }],
  usage: ["watch ID"],
  description:
    "Follows a pipeline from its first event to its last, like `run`, with the same exit codes.",
  positionals: { pipelineId: { name: "ID", missing: "a pipeline ID: ottoctl watch ID" } },
  run: (ctx, { pipelineId }) => watchPipeline(ctx, pipelineId),
});

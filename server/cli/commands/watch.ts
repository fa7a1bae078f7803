import { defineCommand } from "../command.ts";
import { followOptions, followPipeline, reconnectOptions } from "../follow-pipeline.ts";
import { createPipelineView } from "../progress-state.ts";

/** `ottoctl watch ID`: the pipeline's events from the start, then live, to the end. */
export const watchCommand = defineCommand({
  name: "watch",
  summary: [{ usage: "watch ID", text: "follow a pipeline's progress" }],
  usage: ["watch ID [--reconnect-for DURATION]"],
  description: `Follows a pipeline from its first event to its last, like \`run\`, with the same exit codes
and the same reconnecting.`,
  positionals: { pipelineId: { name: "ID", missing: "a pipeline ID: ottoctl watch ID" } },
  options: reconnectOptions,
  parse: ({ positionals: { pipelineId }, options }) => ({
    pipelineId,
    follow: followOptions(options),
  }),
  run: (ctx, { pipelineId, follow }) =>
    followPipeline(
      ctx,
      createPipelineView({ pipelineId }),
      (options) => ctx.clients.ottoscaler.watchPipeline({ pipelineId }, options),
      follow,
    ),
});

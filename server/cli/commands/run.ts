import { defineCommand } from "../command.ts";
import type { Context } from "../context.ts";
import {
  type FollowOptions,
  followOptions,
  followPipeline,
  reconnectOptions,
} from "../follow-pipeline.ts";
import { parseKeyValues } from "../key-values.ts";
import { loadPipelineFile, viewStageIds } from "../pipeline-file.ts";
import { createPipelineView } from "../progress-state.ts";

/** Starts the pipeline in the file, with these parameter values over its own, and follows it to the end. */
async function runPipelineFile(
  ctx: Context,
  file: string,
  params: Record<string, string>,
  follow: FollowOptions,
): Promise<number> {
  const request = await loadPipelineFile(file);
  request.paramValues = { ...request.paramValues, ...params };
  const view = createPipelineView({
    pipelineId: request.pipelineId,
    name: request.name,
    stageIds: viewStageIds(request),
  });
  return followPipeline(
    ctx,
    view,
    (options) => ctx.clients.ottoscaler.executePipeline(request, options),
    follow,
  );
}

/** `ottoctl run FILE [-p K=V]... [--reconnect-for DURATION]`. */
export const runCommand = defineCommand({
  name: "run",
  summary: [
    { usage: "run FILE", text: "run a pipeline file (YAML or JSON) and follow its progress" },
  ],
  usage: ["run FILE [-p K=V]... [--reconnect-for DURATION]"],
  description: `Runs the pipeline in FILE (YAML or JSON, shaped like the PipelineRequest JSON) and follows its
progress: a live table of stages on a terminal, one line per event otherwise.
Ctrl-C detaches; the pipeline keeps running (re-attach with \`ottoctl watch ID\`).
A lost connection (the server restarting, say) is reopened by itself, from the event after
the last one shown; the pipeline is never started twice.
Exit code: 0 when the pipeline SUCCEEDED, 1 when it FAILED or was CANCELLED, 2 on errors,
130 after detaching.`,
  positionals: { file: { name: "FILE", missing: "a pipeline file: ottoctl run FILE" } },
  options: {
    param: {
      type: "string",
      short: "p",
      multiple: true,
      valueName: "K=V",
      default: [],
      help: "a value for one of the pipeline's params (repeatable), over its default",
    },
    ...reconnectOptions,
  },
  parse: ({ positionals: { file }, options }) => ({
    file,
    params: parseKeyValues(options.param, "-p/--param"),
    follow: followOptions(options),
  }),
  run: (ctx, { file, params, follow }) => runPipelineFile(ctx, file, params, follow),
});

import { defineCommand } from "../command.ts";
import type { Context } from "../context.ts";
import { followPipeline } from "../follow-pipeline.ts";
import { loadPipelineFile } from "../pipeline-file.ts";
import { createPipelineView } from "../progress-state.ts";

/** Starts the pipeline in the file and follows it to the end. */
async function runPipelineFile(ctx: Context, file: string): Promise<number> {
  const request = await loadPipelineFile(file);
  const view = createPipelineView({
    pipelineId: request.pipelineId,
    name: request.name,
    stageIds: [...request.stages, ...request.finally].map((s) => s.id),
  });
  return followPipeline(ctx, view, (signal) =>
    ctx.clients.ottoscaler.executePipeline(request, { signal }),
  );
}

/** `ottoctl run FILE`. */
export const runCommand = defineCommand({
  name: "run",
  summary: [
    { usage: "run FILE", text: "run a pipeline file (YAML or JSON) and follow its progress" },
  ],
  usage: ["run FILE"],
  description: `Runs the pipeline in FILE (YAML or JSON, shaped like the PipelineRequest JSON) and follows its
progress: a live table of stages on a terminal, one line per event otherwise.
Ctrl-C detaches; the pipeline keeps running (re-attach with \`ottoctl watch ID\`).
Exit code: 0 when the pipeline SUCCEEDED, 1 when it FAILED or was CANCELLED, 2 on errors,
130 after detaching.`,
  positionals: { file: { name: "FILE", missing: "a pipeline file: ottoctl run FILE" } },
  run: (ctx, { file }) => runPipelineFile(ctx, file),
});

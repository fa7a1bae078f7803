import { CancelPipelineResponseSchema } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { defineCommand } from "../command.ts";
import type { Context } from "../context.ts";
import { pipelineStatusName } from "../enum-names.ts";
import { exitCodes } from "../exit-codes.ts";
import { printJson, printLine } from "../output.ts";
import { isFinalPipelineStatus } from "../progress-state.ts";

/** Stops the pipeline's workers; its remaining stages are CANCELLED. */
async function cancelPipeline(ctx: Context, pipelineId: string, reason: string): Promise<number> {
  const response = await ctx.clients.ottoscaler.cancelPipeline({ pipelineId, reason });
  if (ctx.globals.json) {
    printJson(ctx, CancelPipelineResponseSchema, response);
    return exitCodes.ok;
  }
  const p = response.pipeline;
  if (p === undefined) {
    printLine(ctx, `Cancelled pipeline ${pipelineId}.`);
  } else if (isFinalPipelineStatus(p.status)) {
    printLine(
      ctx,
      `Pipeline ${p.pipelineId} is ${pipelineStatusName(p.status)} (${p.completedStages}/${p.totalStages} stages finished).`,
    );
  } else {
    // The server stops the workers in the background; the CANCELLED event follows.
    printLine(
      ctx,
      `Cancelling pipeline ${p.pipelineId}: its workers are being stopped (${p.completedStages}/${p.totalStages} stages finished so far).\n` +
        `Follow it with: ottoctl watch ${p.pipelineId}`,
    );
  }
  return exitCodes.ok;
}

/** `ottoctl cancel ID [--reason TEXT]`. */
export const cancelCommand = defineCommand({
  name: "cancel",
  summary: [{ usage: "cancel ID", text: "cancel a pipeline" }],
  usage: ["cancel ID [--reason TEXT]"],
  description: "Cancels a pipeline: its workers are stopped and its unfinished stages CANCELLED.",
  positionals: { pipelineId: { name: "ID", missing: "a pipeline ID: ottoctl cancel ID" } },
  options: { reason: { type: "string", valueName: "TEXT", default: "" } },
  run: (ctx, { pipelineId, reason }) => cancelPipeline(ctx, pipelineId, reason),
});

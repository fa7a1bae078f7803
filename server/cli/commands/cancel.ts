import {
  CancelPipelineResponseSchema,
  PipelineStatus,
} from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import type { Context } from "../context.ts";
import { pipelineStatusName } from "../enum-names.ts";
import { exitCodes } from "../exit-codes.ts";
import { printJson, printLine } from "../output.ts";

const finalStatuses = new Set([
  PipelineStatus.SUCCEEDED,
  PipelineStatus.FAILED,
  PipelineStatus.CANCELLED,
]);

/** `ottoctl cancel ID`: stops the pipeline's workers; its remaining stages are CANCELLED. */
export async function cancelCommand(
  ctx: Context,
  pipelineId: string,
  reason: string,
): Promise<number> {
  const response = await ctx.clients.ottoscaler.cancelPipeline({ pipelineId, reason });
  if (ctx.globals.json) {
    printJson(ctx, CancelPipelineResponseSchema, response);
    return exitCodes.ok;
  }
  const p = response.pipeline;
  if (p === undefined) {
    printLine(ctx, `Cancelled pipeline ${pipelineId}.`);
  } else if (finalStatuses.has(p.status)) {
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

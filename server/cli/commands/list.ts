import { ListPipelinesResponseSchema } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { defineCommand } from "../command.ts";
import type { Context } from "../context.ts";
import { pipelineStatusName } from "../enum-names.ts";
import { exitCodes } from "../exit-codes.ts";
import { formatDateTime, formatDuration, toMs } from "../format.ts";
import { printJson, printLine, printLines } from "../output.ts";
import { formatTable } from "../table.ts";

/** Prints the pipelines the server knows, newest first. */
async function listPipelines(ctx: Context): Promise<number> {
  const response = await ctx.clients.ottoscaler.listPipelines({});
  if (ctx.globals.json) {
    printJson(ctx, ListPipelinesResponseSchema, response);
    return exitCodes.ok;
  }
  if (response.pipelines.length === 0) {
    printLine(ctx, "No pipelines.");
    return exitCodes.ok;
  }
  const now = Date.now();
  const rows = response.pipelines.map((p) => {
    const created = toMs(p.createdAt);
    const finished = toMs(p.finishedAt);
    return [
      p.pipelineId,
      p.name,
      pipelineStatusName(p.status),
      `${p.completedStages}/${p.totalStages}`,
      formatDateTime(created),
      created === undefined ? "-" : formatDuration((finished ?? now) - created),
    ];
  });
  printLines(
    ctx,
    formatTable(["PIPELINE", "NAME", "STATUS", "STAGES", "CREATED", "DURATION"], rows),
  );
  return exitCodes.ok;
}

/** `ottoctl list`. */
export const listCommand = defineCommand({
  name: "list",
  summary: [{ usage: "list", text: "list pipelines" }],
  usage: ["list"],
  description: "Lists the pipelines the server knows, newest first.",
  run: (ctx) => listPipelines(ctx),
});

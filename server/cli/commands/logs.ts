import { styleText } from "node:util";
import {
  BuildLogEntrySchema,
  LogEntrySchema,
} from "../../../gen/ottoscaler/v1/log_streaming_pb.js";
import type { LogTarget } from "../args.ts";
import type { Context } from "../context.ts";
import { exitCodes } from "../exit-codes.ts";
import { buildLogPrefix, logText } from "../log-lines.ts";
import { printJson, printLine } from "../output.ts";

/**
 * `ottoctl logs WORKER_ID` or `ottoctl logs --pipeline ID [--stage S]`: the kept lines, then with
 * --follow the live ones until the worker or pipeline ends.
 */
export async function logsCommand(
  ctx: Context,
  target: LogTarget,
  follow: boolean,
): Promise<number> {
  if (target.kind === "worker") {
    const stream = ctx.clients.logs.streamWorkerLogs({ workerId: target.workerId, follow });
    for await (const entry of stream) {
      if (ctx.globals.json) printJson(ctx, LogEntrySchema, entry);
      else printLine(ctx, logText(entry));
    }
    return exitCodes.ok;
  }
  const stream = ctx.clients.logs.streamBuildLogs({
    pipelineId: target.pipelineId,
    stageId: target.stageId,
    follow,
  });
  for await (const entry of stream) {
    if (ctx.globals.json) {
      printJson(ctx, BuildLogEntrySchema, entry);
      continue;
    }
    const prefix = styleText("dim", `${buildLogPrefix(entry)} |`, { stream: ctx.stdout });
    printLine(ctx, `${prefix} ${entry.entry === undefined ? "" : logText(entry.entry)}`);
  }
  return exitCodes.ok;
}

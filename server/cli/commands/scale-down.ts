import type { Command } from "../args.ts";
import type { Context } from "../context.ts";
import { exitCodes } from "../exit-codes.ts";
import { printScaleResult } from "../scale-result.ts";

/** `ottoctl scale-down TASK -w N`: stops N live workers of the task, newest first. */
export async function scaleDownCommand(
  ctx: Context,
  command: Extract<Command, { name: "scale-down" }>,
): Promise<number> {
  const response = await ctx.clients.ottoscaler.scaleDown({
    taskId: command.taskId,
    workerCount: command.workers,
  });
  printScaleResult(ctx, "Stopped", response);
  return exitCodes.ok;
}

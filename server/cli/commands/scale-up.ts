import type { Command } from "../args.ts";
import type { Context } from "../context.ts";
import { exitCodes } from "../exit-codes.ts";
import { printScaleResult } from "../scale-result.ts";

/** `ottoctl scale-up TASK -w N -- CMD...`: starts N more workers of the task. */
export async function scaleUpCommand(
  ctx: Context,
  command: Extract<Command, { name: "scale-up" }>,
): Promise<number> {
  const response = await ctx.clients.ottoscaler.scaleUp({
    taskId: command.taskId,
    workerCount: command.workers,
    image: command.image,
    command: command.command,
    env: command.env,
  });
  printScaleResult(ctx, "Started", response);
  return exitCodes.ok;
}

import { defineCommand } from "../command.ts";
import { exitCodes } from "../exit-codes.ts";
import { parseWorkerCount, printScaleResult } from "../task-scaling.ts";

/** `ottoctl scale-down TASK -w N`: stops N live workers of the task, newest first. */
export const scaleDownCommand = defineCommand({
  name: "scale-down",
  summary: [{ usage: "scale-down TASK -w N", text: "stop N workers of a task" }],
  usage: ["scale-down TASK -w N"],
  description: "Stops N live workers of the task, newest first.",
  positionals: { taskId: { name: "TASK", missing: "a task ID: ottoctl scale-down TASK -w N" } },
  options: {
    workers: { type: "string", short: "w", valueName: "N", help: "how many workers to stop" },
  },
  parse: ({ positionals: { taskId }, options }) => ({
    taskId,
    workers: parseWorkerCount(options.workers, "scale-down"),
  }),
  run: async (ctx, { taskId, workers }) => {
    const response = await ctx.clients.ottoscaler.scaleDown({ taskId, workerCount: workers });
    printScaleResult(ctx, "Stopped", response);
    return exitCodes.ok;
  },
});

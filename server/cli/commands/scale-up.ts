import { defineCommand } from "../command.ts";
import { exitCodes } from "../exit-codes.ts";
import { parseKeyValues } from "../key-values.ts";
import { parseWorkerCount, printScaleResult } from "../task-scaling.ts";

/** `ottoctl scale-up TASK -w N -- CMD...`: starts N more workers of the task. */
export const scaleUpCommand = defineCommand({
  name: "scale-up",
  summary: [{ usage: "scale-up TASK -w N -- CMD", text: "start N workers of a task" }],
  usage: ["scale-up TASK -w N [--image IMG] [-e KEY=VALUE]... -- CMD..."],
  description:
    "Starts N more workers of the task, each running CMD (one argument runs through sh -c).",
  positionals: {
    taskId: { name: "TASK", missing: "a task ID: ottoctl scale-up TASK -w N -- CMD..." },
    command: {
      name: "CMD",
      variadic: true,
      missing: "a command after --: ottoctl scale-up TASK -w N -- CMD...",
    },
  },
  options: {
    workers: { type: "string", short: "w", valueName: "N", help: "how many workers to start" },
    image: {
      type: "string",
      valueName: "IMG",
      default: "",
      help: "container image (for the Kubernetes executor)",
    },
    env: {
      type: "string",
      short: "e",
      multiple: true,
      valueName: "KEY=VALUE",
      default: [],
      help: "environment variable for the workers (repeatable)",
    },
  },
  parse: ({ positionals: { taskId, command }, options }) => ({
    taskId,
    workers: parseWorkerCount(options.workers, "scale-up"),
    image: options.image,
    env: parseKeyValues(options.env, "-e/--env"),
    command,
  }),
  run: async (ctx, { taskId, workers, image, env, command }) => {
    const response = await ctx.clients.ottoscaler.scaleUp({
      taskId,
      workerCount: workers,
      image,
      command,
      env,
    });
    printScaleResult(ctx, "Started", response);
    return exitCodes.ok;
  },
});

import { defineCommand } from "../command.ts";
import { UsageError } from "../errors.ts";
import { exitCodes } from "../exit-codes.ts";
import { parseWorkerCount, printScaleResult } from "../task-scaling.ts";

function parseEnv(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`-e/--env: "${pair}" is not KEY=VALUE`);
    }
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

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
    env: parseEnv(options.env),
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

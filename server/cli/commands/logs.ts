import { styleText } from "node:util";
import {
  BuildLogEntrySchema,
  LogEntrySchema,
} from "../../../gen/ottoscaler/v1/log_streaming_pb.js";
import { defineCommand } from "../command.ts";
import type { Context } from "../context.ts";
import { UsageError } from "../errors.ts";
import { exitCodes } from "../exit-codes.ts";
import { buildLogPrefix, logText } from "../log-lines.ts";
import { printJson, printLine } from "../output.ts";

type LogTarget =
  | { kind: "worker"; workerId: string }
  | { kind: "pipeline"; pipelineId: string; stageId: string };

/** Prints the kept lines, then with follow the live ones until the worker or pipeline ends. */
async function printLogs(ctx: Context, target: LogTarget, follow: boolean): Promise<number> {
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

/** `ottoctl logs WORKER_ID` or `ottoctl logs --pipeline ID [--stage S]`. */
export const logsCommand = defineCommand({
  name: "logs",
  summary: [
    { usage: "logs WORKER_ID", text: "print a worker's logs (-f to follow)" },
    { usage: "logs --pipeline ID", text: "print a pipeline's logs (--stage S, -f)" },
  ],
  usage: ["logs WORKER_ID [-f]", "logs --pipeline ID [--stage S] [-f]"],
  description: `Prints a worker's output, or every worker's output of a pipeline (or one stage) with each line
prefixed by stage/worker.`,
  positionals: { workerId: { name: "WORKER_ID" } },
  options: {
    follow: {
      type: "boolean",
      short: "f",
      default: false,
      help: "keep printing new lines until the worker or pipeline ends",
    },
    // No defaults: whether they were given at all decides which logs are wanted.
    pipeline: { type: "string", valueName: "ID" },
    stage: { type: "string", valueName: "S" },
  },
  parse: ({ positionals: { workerId }, options: { follow, pipeline, stage } }) => {
    if (pipeline !== undefined) {
      if (workerId !== undefined) {
        throw new UsageError("logs takes either WORKER_ID or --pipeline ID, not both");
      }
      if (pipeline === "") throw new UsageError("logs needs a pipeline ID after --pipeline");
      const target: LogTarget = { kind: "pipeline", pipelineId: pipeline, stageId: stage ?? "" };
      return { target, follow };
    }
    if (stage !== undefined) throw new UsageError("--stage only works with --pipeline ID");
    if (workerId === undefined || workerId === "") {
      throw new UsageError("logs needs a worker ID, or --pipeline ID");
    }
    const target: LogTarget = { kind: "worker", workerId };
    return { target, follow };
  },
  run: (ctx, { target, follow }) => printLogs(ctx, target, follow),
});

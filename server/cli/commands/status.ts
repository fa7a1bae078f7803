import {
  type WorkerEvent,
  WorkerEventSchema,
  WorkerEventType,
  type WorkerStatus,
  WorkerStatusResponseSchema,
} from "../../../gen/ottoscaler/v1/worker_pb.js";
import { bold, colorStatus } from "../colors.ts";
import { defineCommand } from "../command.ts";
import type { Context } from "../context.ts";
import { exitCodes } from "../exit-codes.ts";
import { LiveArea } from "../live-area.ts";
import { printJson, printLine, printLines } from "../output.ts";
import { type CellStyle, fitLastColumn, formatTable } from "../table.ts";
import { formatWorkerLine, workerRow, workerTableHeader } from "../worker-table.ts";

const phaseColumn = workerTableHeader.indexOf("PHASE");

function workerTable(workers: Iterable<WorkerStatus>, width?: number, style?: CellStyle): string[] {
  const now = Date.now();
  const rows = [...workers].map((w) => workerRow(w, now));
  return formatTable(
    workerTableHeader,
    width === undefined ? rows : fitLastColumn(workerTableHeader, rows, width),
    style,
  );
}

/** Prints a table of the matching workers. */
async function showWorkers(ctx: Context, taskId: string, pipelineId: string): Promise<number> {
  const response = await ctx.clients.ottoscaler.getWorkerStatus({ taskId, pipelineId });
  if (ctx.globals.json) {
    printJson(ctx, WorkerStatusResponseSchema, response);
  } else if (response.workers.length === 0) {
    printLine(ctx, "No workers.");
  } else {
    printLines(ctx, workerTable(response.workers));
  }
  return exitCodes.ok;
}

/**
 * On a terminal a live table of the matching workers; into a pipe the table once the current
 * workers are known, then one line per change. Runs until Ctrl-C or the server ends the stream.
 */
async function watchWorkers(ctx: Context, taskId: string, pipelineId: string): Promise<number> {
  const stream = ctx.clients.ottoscaler.watchWorkers({ taskId, pipelineId });
  const workers = new Map<string, WorkerStatus>();
  const live = ctx.stdout.isTTY && !ctx.globals.json ? new LiveArea(ctx.stdout) : undefined;
  let synced = false;
  const draw = (): void => {
    if (live === undefined) return;
    const lines = workerTable(workers.values(), live.width(), (text, row, column) =>
      row === -1
        ? bold(text, ctx.stdout)
        : column === phaseColumn
          ? colorStatus(text, ctx.stdout)
          : text,
    );
    live.render(workers.size === 0 ? ["No workers yet; waiting for changes…"] : lines);
  };
  const timer = live === undefined ? undefined : setInterval(draw, 1000);
  try {
    for await (const event of stream) {
      if (ctx.globals.json) {
        printJson(ctx, WorkerEventSchema, event);
        continue;
      }
      handle(event);
    }
  } finally {
    clearInterval(timer);
    live?.done();
  }
  return exitCodes.ok;

  function handle(event: WorkerEvent): void {
    const worker = event.worker;
    if (worker !== undefined) workers.set(worker.workerId, worker);
    if (event.type === WorkerEventType.SYNCED) {
      synced = true;
      if (live === undefined) {
        printLines(ctx, workers.size === 0 ? ["No workers."] : workerTable(workers.values()));
        printLine(ctx, "-- watching for changes --");
      }
    }
    if (live !== undefined) {
      if (synced) draw();
    } else if (synced && event.type === WorkerEventType.UPDATE && worker !== undefined) {
      printLine(ctx, formatWorkerLine(worker, Date.now()));
    }
  }
}

/** `ottoctl status [--task T] [--pipeline P] [--watch]`. */
export const statusCommand = defineCommand({
  name: "status",
  summary: [{ usage: "status", text: "show workers (--task T, --pipeline P, --watch)" }],
  usage: ["status [--task T] [--pipeline P] [--watch]"],
  description: "Shows a table of workers, all or those of one task or pipeline.",
  options: {
    task: { type: "string", valueName: "T", default: "", help: "only the workers of task T" },
    pipeline: {
      type: "string",
      valueName: "P",
      default: "",
      help: "only the workers of pipeline P",
    },
    watch: { type: "boolean", default: false, help: "keep the table up to date until Ctrl-C" },
  },
  parse: ({ options }) => ({
    taskId: options.task,
    pipelineId: options.pipeline,
    watch: options.watch,
  }),
  run: (ctx, { taskId, pipelineId, watch }) =>
    watch ? watchWorkers(ctx, taskId, pipelineId) : showWorkers(ctx, taskId, pipelineId),
});

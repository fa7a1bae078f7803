import { type ScaleResponse, ScaleResponseSchema } from "../../gen/ottoscaler/v1/worker_pb.js";
import type { Context } from "./context.ts";
import { UsageError } from "./errors.ts";
import { printJson, printLine, printLines } from "./output.ts";
import { formatTable } from "./table.ts";
import { workerRow, workerTableHeader } from "./worker-table.ts";

// What scale-up and scale-down share: the worker count they read and the result they print.

/** The -w/--workers N of scale-up and scale-down: a whole number the API's int32 can carry. */
export function parseWorkerCount(text: string | undefined, command: string): number {
  if (text === undefined) {
    throw new UsageError(`${command} needs the number of workers: -w N`);
  }
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 2_147_483_647) {
    throw new UsageError(`-w/--workers: "${text}" is not a whole number of at least 1`);
  }
  return value;
}

/** What scale-up and scale-down print: the workers changed, then all the task's workers. */
export function printScaleResult(ctx: Context, verb: string, response: ScaleResponse): void {
  if (ctx.globals.json) {
    printJson(ctx, ScaleResponseSchema, response);
    return;
  }
  const changed = response.changedWorkerIds;
  const noun = changed.length === 1 ? "worker" : "workers";
  const ids = changed.length > 0 ? `: ${changed.join(", ")}` : "";
  printLine(ctx, `${verb} ${changed.length} ${noun} of task ${response.taskId}${ids}`);
  if (response.workers.length > 0) {
    const now = Date.now();
    printLine(ctx);
    printLines(
      ctx,
      formatTable(
        workerTableHeader,
        response.workers.map((w) => workerRow(w, now)),
      ),
    );
  }
}

import { toJsonString } from "@bufbuild/protobuf";
import {
  type PipelineProgress,
  PipelineProgressSchema,
} from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { bold, colorStatus } from "./colors.ts";
import type { Context } from "./context.ts";
import { LiveArea } from "./live-area.ts";
import { formatProgressLine } from "./progress-plain.ts";
import { type PipelineView, serverNow } from "./progress-state.ts";
import { pipelineTitle, stageRows, stageTableHeader } from "./progress-table.ts";
import { fitLastColumn, formatTable } from "./table.ts";

/** Shows a pipeline's progress as events arrive. */
export interface ProgressRenderer {
  event(event: PipelineProgress, view: PipelineView): void;
  /** Called a few times a second while the stream is open, for ticking clocks. */
  tick(view: PipelineView): void;
  /** The stream is over: finished, failed or detached. */
  end(view: PipelineView): void;
  /** One line about the stream itself (it was lost, say), to stderr. */
  notice(line: string): void;
}

/** One line per event, nothing redrawn. */
function lineRenderer(
  ctx: Context,
  line: (event: PipelineProgress, view: PipelineView) => string,
): ProgressRenderer {
  return {
    event: (event, view) => ctx.stdout.write(`${line(event, view)}\n`),
    tick: () => {},
    end: () => {},
    notice: (text) => ctx.stderr.write(`${text}\n`),
  };
}

/** --json: each event as one line of JSON. */
export function jsonRenderer(ctx: Context): ProgressRenderer {
  return lineRenderer(ctx, (event) => toJsonString(PipelineProgressSchema, event));
}

/** Not a terminal: one line per event. */
export function plainRenderer(ctx: Context): ProgressRenderer {
  return lineRenderer(ctx, formatProgressLine);
}

/** A terminal: a table of stages redrawn in place. */
export function ttyRenderer(ctx: Context): ProgressRenderer {
  const area = new LiveArea(ctx.stdout);
  const draw = (view: PipelineView): void => {
    const now = serverNow(view);
    const width = area.width();
    const title = pipelineTitle(view, now);
    const rows = fitLastColumn(stageTableHeader, stageRows(view, now), width);
    const table = formatTable(stageTableHeader, rows, (text, row, column) =>
      row === -1 ? bold(text, ctx.stdout) : column === 1 ? colorStatus(text, ctx.stdout) : text,
    );
    const fitted = title.length > width ? `${title.slice(0, width - 1)}…` : title;
    area.render([bold(fitted, ctx.stdout), ...table]);
  };
  return {
    event: (_event, view) => draw(view),
    tick: draw,
    end: (view) => {
      draw(view);
      area.done();
    },
    // Below the table as it is: the next drawing starts under the line.
    notice: (text) => {
      area.done();
      ctx.stderr.write(`${text}\n`);
    },
  };
}

export function chooseRenderer(ctx: Context): ProgressRenderer {
  if (ctx.globals.json) return jsonRenderer(ctx);
  return ctx.stdout.isTTY ? ttyRenderer(ctx) : plainRenderer(ctx);
}

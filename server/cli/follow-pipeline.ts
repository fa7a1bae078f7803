import { type PipelineProgress, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type { Context } from "./context.ts";
import { CliError } from "./errors.ts";
import { exitCodes } from "./exit-codes.ts";
import { defaultServer } from "./global-options.ts";
import { chooseRenderer } from "./progress-renderer.ts";
import { applyProgress, isFinalPipelineEvent, type PipelineView } from "./progress-state.ts";

const tickMs = 200;

/** `ottoctl watch ID`, with --server and --protocol when they are not the defaults. */
function watchCommand(ctx: Context, pipelineId: string): string {
  const flags: string[] = [];
  if (ctx.globals.server !== defaultServer) flags.push(`--server ${ctx.globals.server}`);
  if (ctx.globals.protocol !== "connect") flags.push(`--protocol ${ctx.globals.protocol}`);
  return ["ottoctl", ...flags, "watch", pipelineId].join(" ");
}

function printDetached(ctx: Context, view: PipelineView): void {
  if (view.pipelineId === "") {
    ctx.stderr.write(
      "Detached before the server confirmed the pipeline; it may still run: see `ottoctl list`.\n",
    );
    return;
  }
  ctx.stderr.write(
    `Detached: pipeline ${view.pipelineId} keeps running on the server (cancel it with \`ottoctl cancel ${view.pipelineId}\`).\n` +
      `Re-attach with: ${watchCommand(ctx, view.pipelineId)}\n`,
  );
}

function printFailedStages(ctx: Context, view: PipelineView): void {
  const failed = view.stages.filter((s) => s.status === PipelineStatus.FAILED);
  for (const stage of failed) {
    ctx.stderr.write(
      `stage ${stage.id} failed${stage.message === "" ? "" : `: ${stage.message}`}\n` +
        `  logs: ottoctl logs --pipeline ${view.pipelineId} --stage ${stage.id}\n`,
    );
  }
}

/**
 * Shows a pipeline's progress stream until its final event and returns the exit code: 0 when
 * it SUCCEEDED, 1 when it FAILED or was CANCELLED. Ctrl-C detaches (exit 130) without
 * cancelling; a second Ctrl-C quits at once.
 */
export async function followPipeline(
  ctx: Context,
  view: PipelineView,
  open: (signal: AbortSignal) => AsyncIterable<PipelineProgress>,
): Promise<number> {
  const renderer = chooseRenderer(ctx);
  const abort = new AbortController();
  let detached = false;
  const onInterrupt = (): void => {
    if (detached) process.exit(exitCodes.interrupted);
    detached = true;
    abort.abort();
  };
  process.on("SIGINT", onInterrupt);
  const timer = setInterval(() => renderer.tick(view), tickMs);
  let final: PipelineStatus | undefined;
  try {
    for await (const event of open(abort.signal)) {
      if (!applyProgress(view, event)) continue;
      renderer.event(event, view);
      if (isFinalPipelineEvent(event)) {
        final = event.status;
        break;
      }
    }
  } catch (err) {
    if (!detached) {
      renderer.end(view);
      if (view.startedMs !== undefined && view.pipelineId !== "") {
        ctx.stderr.write(
          `Lost the progress stream of pipeline ${view.pipelineId}; it may still be running. Re-attach with: ${watchCommand(ctx, view.pipelineId)}\n`,
        );
      }
      throw err;
    }
  } finally {
    clearInterval(timer);
    process.off("SIGINT", onInterrupt);
  }
  renderer.end(view);
  if (detached) {
    printDetached(ctx, view);
    return exitCodes.interrupted;
  }
  if (final === undefined) {
    throw new CliError(
      `the progress stream of pipeline ${view.pipelineId || "(unknown)"} ended before its final event`,
    );
  }
  if (!ctx.globals.json) printFailedStages(ctx, view);
  return final === PipelineStatus.SUCCEEDED ? exitCodes.ok : exitCodes.pipelineFailed;
}

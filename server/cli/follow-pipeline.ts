import type { CallOptions } from "@connectrpc/connect";
import { type PipelineProgress, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { Backoff, type BackoffPolicy } from "../util/backoff.ts";
import { sleep } from "../util/sleep.ts";
import type { OptionDeclarations } from "./command.ts";
import type { Context } from "./context.ts";
import { parseDurationMs } from "./duration.ts";
import { CliError, UsageError } from "./errors.ts";
import { exitCodes } from "./exit-codes.ts";
import { formatDuration } from "./format.ts";
import { defaultServer } from "./global-options.ts";
import { chooseRenderer, type ProgressRenderer } from "./progress-renderer.ts";
import { applyProgress, isFinalPipelineEvent, type PipelineView } from "./progress-state.ts";
import { retryableReason } from "./retryable.ts";

const tickMs = 200;

/** Waits between tries to reopen a lost stream. */
const reconnectBackoff: BackoffPolicy = { initialMs: 250, maxMs: 10_000 };

/**
 * A try that stayed open this long reached a server: the time allowed to reconnect counts again
 * from its end (no event may come for a long while on a healthy stream).
 */
const connectedAfterMs = 10_000;

/** `--reconnect-for`, which run and watch take. */
export const reconnectOptions = {
  "reconnect-for": {
    type: "string",
    valueName: "DURATION",
    default: "5m",
    help: "keep reconnecting to a lost server this long (default 5m; 0s: never)",
  },
} as const satisfies OptionDeclarations;

export interface FollowOptions {
  /** How long a lost stream is tried again before ottoctl gives up. */
  reconnectForMs: number;
}

/** The follow options of a command line with `reconnectOptions`. */
export function followOptions(options: { "reconnect-for": string }): FollowOptions {
  const text = options["reconnect-for"];
  const ms = parseDurationMs(text);
  if (ms === undefined) {
    throw new UsageError(`--reconnect-for: "${text}" is not a duration such as 30s, 5m or 1h`);
  }
  return { reconnectForMs: ms };
}

/** Opens the first stream; a lost one is reopened with WatchPipeline from the next event. */
export type OpenProgress = (options: CallOptions) => AsyncIterable<PipelineProgress>;

const endedEarly = "the stream ended before the pipeline's final event";

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
 * One outage: from the first lost stream to the next event. It is told on one line, and given
 * up after `reconnectForMs` (counted again after a try that stayed open a while).
 */
class Outage {
  readonly #backoff = new Backoff(reconnectBackoff);
  #since: number | undefined;

  /** An event came: the stream is back. */
  over(): void {
    this.#since = undefined;
    this.#backoff.reset();
  }

  /**
   * The wait before the next try after a stream lost for `reason` (the try opened at `triedAt`),
   * or undefined once the time allowed is used up. Says so on one line at the outage's start.
   */
  next(
    ctx: Context,
    renderer: ProgressRenderer,
    reason: string,
    triedAt: number,
    { reconnectForMs }: FollowOptions,
  ): number | undefined {
    const now = Date.now();
    const first = this.#since === undefined;
    if (first || now - triedAt >= connectedAfterMs) this.#since = now;
    const wait = this.#backoff.next();
    if (now + wait - (this.#since ?? now) > reconnectForMs) return undefined;
    if (first) {
      renderer.notice(
        `Lost the connection to ${ctx.globals.server} (${reason}); reconnecting for up to ${formatDuration(reconnectForMs)}…`,
      );
    }
    return wait;
  }
}

/**
 * Shows a pipeline's progress stream until its final event and returns the exit code: 0 when
 * it SUCCEEDED, 1 when it FAILED or was CANCELLED. Ctrl-C detaches (exit 130) without
 * cancelling; a second Ctrl-C quits at once. A stream lost once an event came (the server
 * shutting down, the connection refused or cut) is reopened with WatchPipeline from the event
 * after the last one seen, with backoff, for up to `reconnectForMs`: ExecutePipeline is never
 * sent again, and no event is shown twice.
 */
export async function followPipeline(
  ctx: Context,
  view: PipelineView,
  open: OpenProgress,
  options: FollowOptions,
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
  const outage = new Outage();
  try {
    let stream = open({ signal: abort.signal });
    for (;;) {
      const triedAt = Date.now();
      let lost: unknown;
      try {
        for await (const event of stream) {
          outage.over();
          if (!applyProgress(view, event)) continue;
          renderer.event(event, view);
          if (isFinalPipelineEvent(event)) {
            final = event.status;
            break;
          }
        }
        if (final !== undefined || detached) break;
        lost = new CliError(
          `the progress stream of pipeline ${view.pipelineId || "(unknown)"} ended before its final event`,
        );
      } catch (err) {
        if (detached) break;
        lost = err;
      }
      // Before the first event the pipeline may not exist (or not be ours): nothing to reopen.
      const reason =
        view.lastSequence === 0n
          ? undefined
          : lost instanceof CliError
            ? endedEarly
            : retryableReason(lost);
      const wait =
        reason === undefined ? undefined : outage.next(ctx, renderer, reason, triedAt, options);
      if (wait === undefined) throw lost;
      if (!(await sleep(wait, abort.signal))) break;
      stream = ctx.clients.ottoscaler.watchPipeline(
        { pipelineId: view.pipelineId, fromSequence: view.lastSequence + 1n },
        { signal: abort.signal },
      );
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

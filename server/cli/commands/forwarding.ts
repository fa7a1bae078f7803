import {
  ForwardingState,
  LogForwardingStatusResponseSchema,
} from "../../../gen/ottoscaler/v1/log_streaming_pb.js";
import { defineCommand } from "../command.ts";
import type { Context } from "../context.ts";
import { exitCodes } from "../exit-codes.ts";
import { formatDateTime, toMs } from "../format.ts";
import { printJson, printLine, printLines } from "../output.ts";
import { formatTable } from "../table.ts";

/** Prints each forwarding destination, its cursor and how far behind it is. */
async function showForwarding(ctx: Context): Promise<number> {
  const response = await ctx.clients.logs.getLogForwardingStatus({});
  if (ctx.globals.json) {
    printJson(ctx, LogForwardingStatusResponseSchema, response);
    return exitCodes.ok;
  }
  if (response.destinations.length === 0) {
    printLine(ctx, "Forwarding is off (the server has no OTTO_HANDLER_URL).");
    return exitCodes.ok;
  }
  const rows = response.destinations.map((d) => [
    d.url,
    (ForwardingState[d.state] ?? String(d.state)).replace(/_/g, "-"),
    String(d.acknowledgedEntriesTotal),
    String(d.lagEntries),
    `${d.lagSeconds.toFixed(1)}s`,
    String(d.rejectedEntries),
    String(d.failedAttempts),
    formatDateTime(toMs(d.lastAckTime)),
  ]);
  printLines(
    ctx,
    formatTable(
      ["DESTINATION", "STATE", "ACKED", "LAG", "LAG AGE", "REJECTED", "FAILURES", "LAST ACK"],
      rows,
    ),
  );
  for (const d of response.destinations) {
    if (d.lastError !== "") printLine(ctx, `${d.url}: last error: ${d.lastError}`);
    if (d.removedUndeliveredEntries > 0n) {
      printLine(
        ctx,
        `${d.url}: ${d.removedUndeliveredEntries} entries were removed by retention (over OTTOSCALER_LOG_RETENTION_BYTES) before they were delivered`,
      );
    }
  }
  return exitCodes.ok;
}

/** `ottoctl forwarding`. */
export const forwardingCommand = defineCommand({
  name: "forwarding",
  summary: [{ usage: "forwarding", text: "show log forwarding to Otto-handler and its lag" }],
  usage: ["forwarding"],
  description: `Shows where worker logs and status events are forwarded (Otto-handler) and how far behind:
entries and seconds not yet acknowledged, failures, the last error.`,
  run: (ctx) => showForwarding(ctx),
});

import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ListAuditEventsResponseSchema } from "../../../gen/ottoscaler/v1/audit_pb.js";
import { auditTable } from "../audit-table.ts";
import { defineCommand } from "../command.ts";
import type { Context } from "../context.ts";
import { parseDurationMs } from "../duration.ts";
import { UsageError } from "../errors.ts";
import { exitCodes } from "../exit-codes.ts";
import { printJson, printLine, printLines } from "../output.ts";

/** `--since`: an age such as 30m, 2h or 7d, or a date and time such as 2026-01-31T12:00:00Z. */
function parseSince(text: string, nowMs: number): number {
  const age = parseDurationMs(text);
  if (age !== undefined) return nowMs - age;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    throw new UsageError(`--since: "${text}" is neither an age (30m, 2h, 7d) nor a date and time`);
  }
  return ms;
}

interface AuditArgs {
  sinceMs?: number;
  user: string;
  limit: number;
}

/** Prints the audit trail's newest events, oldest first. */
async function showAudit(ctx: Context, args: AuditArgs): Promise<number> {
  const response = await ctx.clients.audit.listAuditEvents({
    ...(args.sinceMs !== undefined && { since: timestampFromMs(args.sinceMs) }),
    user: args.user,
    limit: args.limit,
  });
  if (ctx.globals.json) {
    printJson(ctx, ListAuditEventsResponseSchema, response);
    return exitCodes.ok;
  }
  if (response.events.length === 0) {
    printLine(ctx, "No audit events.");
    return exitCodes.ok;
  }
  printLines(ctx, auditTable(response.events));
  return exitCodes.ok;
}

/** `ottoctl audit [--since AGE|TIME] [--user NAME] [--limit N]`. */
export const auditCommand = defineCommand({
  name: "audit",
  summary: [{ usage: "audit", text: "show who ran, cancelled or scaled what, and refused calls" }],
  usage: ["audit [--since AGE|TIME] [--user NAME] [--limit N]"],
  description:
    "Lists the audit trail (admins only): every mutating call and every refused call, with\n" +
    "its user, source address, target and result; the newest, oldest first.",
  options: {
    since: {
      type: "string",
      valueName: "AGE|TIME",
      help: "only events since then: 30m, 2h, 7d or a date",
    },
    user: { type: "string", valueName: "NAME", default: "", help: "only this user's events" },
    limit: {
      type: "string",
      valueName: "N",
      default: "100",
      help: "at most N events (default 100)",
    },
  },
  parse: ({ options }): AuditArgs => {
    const limit = Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new UsageError(`--limit: "${options.limit}" is not a whole number from 1 to 10000`);
    }
    return {
      ...(options.since !== undefined && { sinceMs: parseSince(options.since, Date.now()) }),
      user: options.user,
      limit,
    };
  },
  run: (ctx, args) => showAudit(ctx, args),
});

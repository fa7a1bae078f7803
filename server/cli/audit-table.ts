import type { AuditEvent } from "../../gen/ottoscaler/v1/audit_pb.js";
import { formatDateTime, toMs } from "./format.ts";
import { formatTable } from "./table.ts";

/** The lines of `ottoctl audit`: a row an event, the method without its package. */
export function auditTable(events: readonly AuditEvent[]): string[] {
  const rows = events.map((e) => [
    formatDateTime(toMs(e.time)),
    e.user === "" ? "-" : e.user,
    e.method.slice(e.method.lastIndexOf(".") + 1) || "-",
    e.pipelineId || e.taskId || e.workerId || "-",
    // Refused before any RPC ran: say by what (origin, host, cleartext).
    e.refusedBy === "" ? e.code : `${e.code} (${e.refusedBy})`,
    e.source,
    e.message,
  ]);
  return formatTable(["TIME", "USER", "METHOD", "TARGET", "RESULT", "SOURCE", "MESSAGE"], rows);
}

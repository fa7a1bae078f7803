import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type net from "node:net";
import { type AuditRecord, type AuditTrail, protocolOf } from "../audit/audit-record.ts";

/**
 * Records a request the HTTP layer refused before any RPC ran (a foreign page,
 * a rebound Host, cleartext from elsewhere) as the audit trail records refused
 * calls: nobody was authenticated, so no user. Without a request (cleartext is
 * refused unread) the protocol is "http" and the method empty.
 */
export function auditRefusal(
  audit: AuditTrail,
  auth: string,
  refusal: {
    by: NonNullable<AuditRecord["refusedBy"]>;
    message: string;
    socket: net.Socket;
    req?: IncomingMessage | Http2ServerRequest;
  },
): void {
  const { socket, req } = refusal;
  const contentType = req?.headers["content-type"];
  audit.record({
    time: new Date().toISOString(),
    user: "",
    groups: [],
    source: `${socket.remoteAddress ?? ""}:${socket.remotePort ?? ""}`,
    protocol: req === undefined ? "http" : protocolOf(contentType),
    method: (req?.url ?? "").split("?", 1)[0]?.replace(/^\//, "") ?? "",
    code: "permission_denied",
    message: refusal.message.trimEnd(),
    durationMs: 0,
    auth,
    refusedBy: refusal.by,
  });
}

/** One line of the audit trail: who called what, from where, and how it ended. */
export interface AuditRecord {
  /** ISO 8601, UTC. */
  time: string;
  /** Empty when the caller could not be authenticated. */
  user: string;
  groups: readonly string[];
  /** The client's address:port. */
  source: string;
  /** "http" when refused before the request was read. */
  protocol: "grpc" | "grpc-web" | "connect" | "http";
  /** "package.Service/Method"; empty when refused before the request was read. */
  method: string;
  pipelineId?: string;
  taskId?: string;
  workerId?: string;
  /** "ok" or a Connect code name such as "permission_denied". */
  code: string;
  /** Why it was refused or failed. */
  message?: string;
  durationMs: number;
  /** How the caller was authenticated: none, tokens, mtls, kubernetes. */
  auth: string;
  /** The trace id of the call's W3C traceparent, when it had one. */
  traceId?: string;
  /** Refused by the HTTP layer before any RPC ran, and why. */
  refusedBy?: "origin" | "host" | "cleartext";
}

/** The RPC protocol a request's content type names. */
export function protocolOf(contentType: string | null | undefined): AuditRecord["protocol"] {
  if (contentType?.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType?.startsWith("application/grpc")) return "grpc";
  return "connect";
}

/** What the audit trail offers the API: write a record, read them back. */
export interface AuditTrail {
  record(record: AuditRecord): void;
  list(query: { sinceMs?: number; user?: string; limit: number }): Promise<AuditRecord[]>;
}

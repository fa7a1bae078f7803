/** One line of the audit trail: who called what, from where, and how it ended. */
export interface AuditRecord {
  /** ISO 8601, UTC. */
  time: string;
  /** Empty when the caller could not be authenticated. */
  user: string;
  groups: readonly string[];
  /** The client's address:port. */
  source: string;
  protocol: "grpc" | "grpc-web" | "connect";
  /** "package.Service/Method". */
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
}

/** What the audit trail offers the API: write a record, read them back. */
export interface AuditTrail {
  record(record: AuditRecord): void;
  list(query: { sinceMs?: number; user?: string; limit: number }): Promise<AuditRecord[]>;
}

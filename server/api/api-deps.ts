import type { LogForwardingStatusResponse } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import type { AuditTrail } from "../audit/audit-record.ts";
import type { Authenticator } from "../auth/authenticator.ts";
import type { Config } from "../config/config.ts";
import type { PipelineEngine } from "../engine/pipeline-engine.ts";
import type { LogReader } from "../logs/log-reads.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { TaskManager } from "../workers/task-manager.ts";
import type { WorkerRegistry } from "../workers/worker-registry.ts";
import type { CallerLimits } from "./caller-limits.ts";

/** What the API serves from; the composition root (app.ts) provides it. */
export interface ApiDeps {
  config: Config;
  logger: Logger;
  /** Who is calling and whether they may (the mode OTTOSCALER_AUTH names). */
  auth: Authenticator;
  /** Where mutating and refused calls are recorded. */
  audit: AuditTrail;
  /** Rate limits and stream caps per caller. */
  limits: CallerLimits;
  /** Served at /metrics unless turned off (OTTOSCALER_METRICS). */
  metrics: Metrics;
  engine: Pick<PipelineEngine, "start" | "view" | "cancel" | "list">;
  tasks: Pick<TaskManager, "scaleUp" | "scaleDown">;
  registry: Pick<WorkerRegistry, "list" | "changes">;
  logs: Pick<LogReader, "workerLog" | "buildLog">;
  forwarding: { status(): LogForwardingStatusResponse };
  /** False while this replica stands by: another one holds the controller lease. */
  readonly active: boolean;
  /** True while the server can take work (its executor is connected and it is not stopping). */
  readonly ready: boolean;
  /** Aborts when the server begins to shut down. */
  stopping: AbortSignal;
}

import os from "node:os";
import path from "node:path";

/** Everything the server can be told through its environment. */
export interface Config {
  host: string;
  port: number;
  executor: "local" | "kubernetes" | "auto";
  namespace: string;
  workerCpuRequest: string;
  workerCpuLimit: string;
  workerMemoryRequest: string;
  workerMemoryLimit: string;
  workerRunAsUser: number;
  imagePullPolicy: "IfNotPresent" | "Always" | "Never";
  pendingGraceSeconds: number;
  maxWorkers: number;
  defaultImage: string;
  maxStages: number;
  maxWorkersPerStage: number;
  maxAttempts: number;
  maxBackoffMs: number;
  defaultStageTimeoutSeconds: number;
  maxActivePipelines: number;
  logMaxLinesPerWorker: number;
  logMaxLinesPerBuild: number;
  logMaxLineBytes: number;
  dataDir: string;
  logRetentionHours: number;
  logRetentionBytes: number;
  logRetentionIntervalSeconds: number;
  ottoHandlerUrl: string;
  ottoHandlerToken: string;
  ottoHandlerCaFile: string;
  ottoHandlerSource: string;
  ottoHandlerBatchEntries: number;
  ottoHandlerBatchBytes: number;
  ottoHandlerMaxBackoffMs: number;
  ottoHandlerTimeoutMs: number;
  retainPipelines: number;
  retainFinishedWorkers: number;
  workspaceRoot: string;
  keepWorkspaces: boolean;
  stopGraceMs: number;
  corsOrigins: string[];
  maxRequestBytes: number;
  shutdownTimeoutMs: number;
  logLevel: string;
  logLanguage: "en" | "ko";
}

interface Setting {
  env: string;
  default: string;
  description: string;
  /** How the README shows a default computed from the machine. */
  shownDefault?: string;
}

/** The configuration table: one row per variable, the README mirrors it. */
export const settings = {
  host: { env: "OTTOSCALER_HOST", default: "0.0.0.0", description: "Address to listen on" },
  port: {
    env: "OTTOSCALER_PORT",
    default: "9090",
    description: "Port for gRPC, gRPC-Web and Connect",
  },
  executor: {
    env: "OTTOSCALER_EXECUTOR",
    default: "auto",
    description: "Where workers run: local, kubernetes, or auto (kubernetes inside a cluster)",
  },
  namespace: {
    env: "OTTOSCALER_NAMESPACE",
    default: "",
    description: "Namespace for worker Jobs; empty: the pod's own, else default",
  },
  workerCpuRequest: {
    env: "OTTOSCALER_WORKER_CPU_REQUEST",
    default: "100m",
    description: "Worker container CPU request",
  },
  workerCpuLimit: {
    env: "OTTOSCALER_WORKER_CPU_LIMIT",
    default: "1",
    description: "Worker container CPU limit",
  },
  workerMemoryRequest: {
    env: "OTTOSCALER_WORKER_MEMORY_REQUEST",
    default: "64Mi",
    description: "Worker container memory request",
  },
  workerMemoryLimit: {
    env: "OTTOSCALER_WORKER_MEMORY_LIMIT",
    default: "512Mi",
    description: "Worker container memory limit",
  },
  workerRunAsUser: {
    env: "OTTOSCALER_WORKER_RUN_AS_USER",
    default: "65532",
    description: "Non-root user id worker containers run as",
  },
  imagePullPolicy: {
    env: "OTTOSCALER_IMAGE_PULL_POLICY",
    default: "IfNotPresent",
    description: "Worker image pull policy: IfNotPresent, Always, Never",
  },
  pendingGraceSeconds: {
    env: "OTTOSCALER_PENDING_GRACE_SECONDS",
    default: "60",
    description: "A worker pod stuck (image pull, unschedulable…) this long fails its attempt",
  },
  maxWorkers: {
    env: "OTTOSCALER_MAX_WORKERS",
    default: "100",
    description: "Workers running at once, across all pipelines and tasks",
  },
  defaultImage: {
    env: "OTTOSCALER_DEFAULT_IMAGE",
    default: "busybox:1.36",
    description: "Image for stages and tasks that name none",
  },
  maxStages: { env: "OTTOSCALER_MAX_STAGES", default: "1000", description: "Stages per pipeline" },
  maxWorkersPerStage: {
    env: "OTTOSCALER_MAX_WORKERS_PER_STAGE",
    default: "1000",
    description: "Workers per stage, and per ScaleUp call",
  },
  maxAttempts: {
    env: "OTTOSCALER_MAX_ATTEMPTS",
    default: "10",
    description: "Upper bound on retry.maxAttempts",
  },
  maxBackoffMs: {
    env: "OTTOSCALER_MAX_BACKOFF_MS",
    default: "300000",
    description: "Upper bound on any retry backoff",
  },
  defaultStageTimeoutSeconds: {
    env: "OTTOSCALER_DEFAULT_STAGE_TIMEOUT_SECONDS",
    default: "3600",
    description: "Stage timeout when a stage sets none",
  },
  maxActivePipelines: {
    env: "OTTOSCALER_MAX_ACTIVE_PIPELINES",
    default: "1000",
    description: "Pipelines running at once; more get ResourceExhausted",
  },
  logMaxLinesPerWorker: {
    env: "OTTOSCALER_LOG_MAX_LINES_PER_WORKER",
    default: "1000",
    description: "Newest log lines cached in memory per worker (older ones are read from disk)",
  },
  logMaxLinesPerBuild: {
    env: "OTTOSCALER_LOG_MAX_LINES_PER_BUILD",
    default: "10000",
    description: "Newest log lines cached in memory per pipeline (older ones are read from disk)",
  },
  logMaxLineBytes: {
    env: "OTTOSCALER_LOG_MAX_LINE_BYTES",
    default: "16384",
    description: "Longer output lines are split",
  },
  dataDir: {
    env: "OTTOSCALER_DATA_DIR",
    default: path.join(
      process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state"),
      "ottoscaler",
    ),
    description: "Where build logs and status events are stored (journals, delivery cursors)",
    shownDefault: "~/.local/state/ottoscaler",
  },
  logRetentionHours: {
    env: "OTTOSCALER_LOG_RETENTION_HOURS",
    default: "168",
    description: "Stored builds are removed this long after they end, once Otto-handler has them",
  },
  logRetentionBytes: {
    env: "OTTOSCALER_LOG_RETENTION_BYTES",
    default: "10737418240",
    description: "Past this total size, the builds that ended first go (delivered ones first)",
  },
  logRetentionIntervalSeconds: {
    env: "OTTOSCALER_LOG_RETENTION_INTERVAL_SECONDS",
    default: "300",
    description: "How often retention runs (also once at start)",
  },
  ottoHandlerUrl: {
    env: "OTTO_HANDLER_URL",
    default: "",
    description: "Otto-handler's gRPC address (http:// or https://); empty: no forwarding",
  },
  ottoHandlerToken: {
    env: "OTTO_HANDLER_TOKEN",
    default: "",
    description: "Bearer token sent to Otto-handler",
  },
  ottoHandlerCaFile: {
    env: "OTTO_HANDLER_CA_FILE",
    default: "",
    description: "PEM CA file to trust for an https Otto-handler",
  },
  ottoHandlerSource: {
    env: "OTTO_HANDLER_SOURCE",
    default: "",
    description: "How this controller names itself to Otto-handler; empty: its namespace or host",
  },
  ottoHandlerBatchEntries: {
    env: "OTTO_HANDLER_BATCH_ENTRIES",
    default: "1000",
    description: "Most entries per call to Otto-handler",
  },
  ottoHandlerBatchBytes: {
    env: "OTTO_HANDLER_BATCH_BYTES",
    default: "1048576",
    description: "Most bytes of entries per call to Otto-handler",
  },
  ottoHandlerMaxBackoffMs: {
    env: "OTTO_HANDLER_MAX_BACKOFF_MS",
    default: "30000",
    description: "Longest wait between retries while Otto-handler is unreachable",
  },
  ottoHandlerTimeoutMs: {
    env: "OTTO_HANDLER_TIMEOUT_MS",
    default: "10000",
    description: "Deadline of each call to Otto-handler",
  },
  retainPipelines: {
    env: "OTTOSCALER_RETAIN_PIPELINES",
    default: "100",
    description: "Finished pipelines kept in memory (older ones are served from disk)",
  },
  retainFinishedWorkers: {
    env: "OTTOSCALER_RETAIN_FINISHED_WORKERS",
    default: "1000",
    description: "Finished ScaleUp workers kept in memory",
  },
  workspaceRoot: {
    env: "OTTOSCALER_WORKSPACE_ROOT",
    default: path.join(os.tmpdir(), "ottoscaler"),
    shownDefault: "$TMPDIR/ottoscaler",
    description: "Where pipeline workspaces are created",
  },
  keepWorkspaces: {
    env: "OTTOSCALER_KEEP_WORKSPACES",
    default: "false",
    description: "Keep a pipeline's workspace after it ends",
  },
  stopGraceMs: {
    env: "OTTOSCALER_STOP_GRACE_MS",
    default: "5000",
    description: "SIGTERM to SIGKILL delay when stopping a worker",
  },
  corsOrigins: {
    env: "OTTOSCALER_CORS_ORIGINS",
    default: "*",
    description: "Comma-separated browser origins allowed, or *",
  },
  maxRequestBytes: {
    env: "OTTOSCALER_MAX_REQUEST_BYTES",
    default: "4194304",
    description: "Largest request message accepted",
  },
  shutdownTimeoutMs: {
    env: "OTTOSCALER_SHUTDOWN_TIMEOUT_MS",
    default: "10000",
    description: "How long shutdown waits for streams and workers",
  },
  logLevel: {
    env: "OTTOSCALER_LOG_LEVEL",
    default: "info",
    description: "trace, debug, info, warn, error",
  },
  logLanguage: {
    env: "OTTOSCALER_LOG_LANG",
    default: "en",
    description: "Log messages in en or ko",
  },
} satisfies Record<keyof Config, Setting>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

function raw(env: Env, key: keyof Config): string {
  const s = settings[key];
  const value = env[s.env];
  return value === undefined || value === "" ? s.default : value;
}

function integer(env: Env, key: keyof Config, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = raw(env, key);
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${settings[key].env}: "${text}" is not a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

function boolean(env: Env, key: keyof Config): boolean {
  const text = raw(env, key).toLowerCase();
  if (["1", "true", "yes", "on"].includes(text)) return true;
  if (["0", "false", "no", "off"].includes(text)) return false;
  throw new ConfigError(`${settings[key].env}: "${text}" is not true or false`);
}

function oneOf<T extends string>(env: Env, key: keyof Config, values: readonly T[]): T {
  const text = raw(env, key);
  const found = values.find((v) => v === text);
  if (found === undefined) {
    throw new ConfigError(`${settings[key].env}: "${text}" is not one of ${values.join(", ")}`);
  }
  return found;
}

function handlerUrl(text: string): string {
  if (text === "") return "";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${settings.ottoHandlerUrl.env}: "${text}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${settings.ottoHandlerUrl.env}: "${text}" must be http:// or https://`);
  }
  return text.replace(/\/+$/, "");
}

/** Reads the configuration, failing with the variable's name on the first bad value. */
export function loadConfig(env: Env = process.env): Config {
  return {
    host: raw(env, "host"),
    port: integer(env, "port", 0, 65535),
    executor: oneOf(env, "executor", ["local", "kubernetes", "auto"] as const),
    namespace: raw(env, "namespace"),
    workerCpuRequest: raw(env, "workerCpuRequest"),
    workerCpuLimit: raw(env, "workerCpuLimit"),
    workerMemoryRequest: raw(env, "workerMemoryRequest"),
    workerMemoryLimit: raw(env, "workerMemoryLimit"),
    workerRunAsUser: integer(env, "workerRunAsUser", 1),
    imagePullPolicy: oneOf(env, "imagePullPolicy", ["IfNotPresent", "Always", "Never"] as const),
    pendingGraceSeconds: integer(env, "pendingGraceSeconds", 1),
    maxWorkers: integer(env, "maxWorkers", 1),
    defaultImage: raw(env, "defaultImage"),
    maxStages: integer(env, "maxStages", 1),
    maxWorkersPerStage: integer(env, "maxWorkersPerStage", 1),
    maxAttempts: integer(env, "maxAttempts", 1),
    maxBackoffMs: integer(env, "maxBackoffMs", 0),
    defaultStageTimeoutSeconds: integer(env, "defaultStageTimeoutSeconds", 1),
    maxActivePipelines: integer(env, "maxActivePipelines", 1),
    logMaxLinesPerWorker: integer(env, "logMaxLinesPerWorker", 1),
    logMaxLinesPerBuild: integer(env, "logMaxLinesPerBuild", 1),
    logMaxLineBytes: integer(env, "logMaxLineBytes", 64),
    dataDir: path.resolve(raw(env, "dataDir")),
    logRetentionHours: integer(env, "logRetentionHours", 0),
    logRetentionBytes: integer(env, "logRetentionBytes", 0),
    logRetentionIntervalSeconds: integer(env, "logRetentionIntervalSeconds", 1),
    ottoHandlerUrl: handlerUrl(raw(env, "ottoHandlerUrl")),
    ottoHandlerToken: raw(env, "ottoHandlerToken"),
    ottoHandlerCaFile: raw(env, "ottoHandlerCaFile"),
    ottoHandlerSource: raw(env, "ottoHandlerSource"),
    ottoHandlerBatchEntries: integer(env, "ottoHandlerBatchEntries", 1, 100_000),
    ottoHandlerBatchBytes: integer(env, "ottoHandlerBatchBytes", 1024),
    ottoHandlerMaxBackoffMs: integer(env, "ottoHandlerMaxBackoffMs", 100),
    ottoHandlerTimeoutMs: integer(env, "ottoHandlerTimeoutMs", 100),
    retainPipelines: integer(env, "retainPipelines", 0),
    retainFinishedWorkers: integer(env, "retainFinishedWorkers", 0),
    workspaceRoot: path.resolve(raw(env, "workspaceRoot")),
    keepWorkspaces: boolean(env, "keepWorkspaces"),
    stopGraceMs: integer(env, "stopGraceMs", 0),
    corsOrigins: raw(env, "corsOrigins")
      .split(",")
      .map((o) => o.trim())
      .filter((o) => o !== ""),
    maxRequestBytes: integer(env, "maxRequestBytes", 1024),
    shutdownTimeoutMs: integer(env, "shutdownTimeoutMs", 0),
    logLevel: oneOf(env, "logLevel", [
      "trace",
      "debug",
      "info",
      "warn",
      "error",
      "fatal",
      "silent",
    ]),
    logLanguage: oneOf(env, "logLanguage", ["en", "ko"] as const),
  };
}

import os from "node:os";
import path from "node:path";
import { boolean, directory, httpUrl, integer, list, oneOf, quantity, text } from "./setting.ts";

/**
 * Everything the server can be told through its environment, one declaration a setting: the
 * `Config` type, loading, its error messages and the README's table all come from here.
 */
export const settings = {
  host: text({
    env: "OTTOSCALER_HOST",
    default: "127.0.0.1",
    description: "Address to listen on; beyond loopback only with authentication on",
  }),
  auth: oneOf({
    env: "OTTOSCALER_AUTH",
    choices: ["none", "tokens", "mtls", "kubernetes"],
    default: "none",
    description: "How callers are authenticated: none (loopback only), tokens, mtls, kubernetes",
  }),
  authCacheSeconds: integer({
    env: "OTTOSCALER_AUTH_CACHE_SECONDS",
    default: "10",
    min: 0,
    max: 300,
    description: "kubernetes mode: how long token and access reviews are cached (revocation delay)",
  }),
  tokensFile: text({
    env: "OTTOSCALER_TOKENS_FILE",
    default: "",
    description:
      "With OTTOSCALER_AUTH=tokens: the file of hashed tokens (reloaded when it changes)",
  }),
  tlsCertFile: text({
    env: "OTTOSCALER_TLS_CERT_FILE",
    default: "",
    description: "PEM certificate (chain) for TLS on the same port; reloaded when it changes",
  }),
  tlsKeyFile: text({
    env: "OTTOSCALER_TLS_KEY_FILE",
    default: "",
    description: "PEM private key of OTTOSCALER_TLS_CERT_FILE",
  }),
  tlsClientCaFile: text({
    env: "OTTOSCALER_TLS_CLIENT_CA_FILE",
    default: "",
    description:
      "With OTTOSCALER_AUTH=mtls: PEM CA(s) client certificates must chain to (reloaded)",
  }),
  cleartext: oneOf({
    env: "OTTOSCALER_CLEARTEXT",
    choices: ["loopback", "any", "none"],
    default: "loopback",
    description: "With TLS on, who may still connect without it: loopback clients, any, none",
  }),
  rateLimitPerMinute: integer({
    env: "OTTOSCALER_RATE_LIMIT_PER_MINUTE",
    default: "600",
    min: 0,
    description:
      "Mutating calls a minute per caller, with authentication on (ResourceExhausted past it)",
  }),
  rateLimitBurst: integer({
    env: "OTTOSCALER_RATE_LIMIT_BURST",
    default: "100",
    min: 1,
    description: "Mutating calls a caller may make at once before the rate limit applies",
  }),
  maxStreamsPerCaller: integer({
    env: "OTTOSCALER_MAX_STREAMS_PER_CALLER",
    default: "200",
    min: 1,
    description: "Streams one caller may have open at once, with authentication on",
  }),
  auditRetentionDays: integer({
    env: "OTTOSCALER_AUDIT_RETENTION_DAYS",
    default: "90",
    min: 1,
    description: "Days of audit files kept (OTTOSCALER_DATA_DIR/audit, one file a day)",
  }),
  allowUnauthenticated: boolean({
    env: "OTTOSCALER_ALLOW_UNAUTHENTICATED",
    default: "false",
    description: "Listen on a non-loopback address with authentication off (logs a warning)",
  }),
  allowedHosts: list({
    env: "OTTOSCALER_ALLOWED_HOSTS",
    default: "localhost,127.0.0.1,::1",
    description: "Host header names accepted (against DNS rebinding), or *",
  }),
  port: integer({
    env: "OTTOSCALER_PORT",
    default: "9090",
    min: 0,
    max: 65535,
    description: "Port for gRPC, gRPC-Web and Connect",
  }),
  executor: oneOf({
    env: "OTTOSCALER_EXECUTOR",
    choices: ["local", "kubernetes", "auto"],
    default: "auto",
    description: "Where workers run: local, kubernetes, or auto (kubernetes inside a cluster)",
  }),
  namespace: text({
    env: "OTTOSCALER_NAMESPACE",
    default: "",
    description: "Namespace for worker Jobs; empty: the pod's own, else default",
  }),
  workerCpuRequest: text({
    env: "OTTOSCALER_WORKER_CPU_REQUEST",
    default: "100m",
    description: "Worker container CPU request",
  }),
  workerCpuLimit: text({
    env: "OTTOSCALER_WORKER_CPU_LIMIT",
    default: "1",
    description: "Worker container CPU limit",
  }),
  workerMemoryRequest: text({
    env: "OTTOSCALER_WORKER_MEMORY_REQUEST",
    default: "64Mi",
    description: "Worker container memory request",
  }),
  workerMemoryLimit: text({
    env: "OTTOSCALER_WORKER_MEMORY_LIMIT",
    default: "512Mi",
    description: "Worker container memory limit",
  }),
  maxWorkerCpu: quantity({
    env: "OTTOSCALER_MAX_WORKER_CPU",
    default: "8",
    description: "Most CPU a worker may request or be limited to (resources.cpu*)",
  }),
  maxWorkerMemory: quantity({
    env: "OTTOSCALER_MAX_WORKER_MEMORY",
    default: "16Gi",
    description: "Most memory a worker may request or be limited to (resources.memory*)",
  }),
  allowedImages: list({
    env: "OTTOSCALER_ALLOWED_IMAGES",
    default: "",
    description:
      "Images workers may run: repositories or prefixes/* (e.g. docker.io/library/*); empty: any",
  }),
  workerRunAsUser: integer({
    env: "OTTOSCALER_WORKER_RUN_AS_USER",
    default: "65532",
    min: 1,
    description: "Non-root user id worker containers run as",
  }),
  workerServiceAccount: text({
    env: "OTTOSCALER_WORKER_SERVICE_ACCOUNT",
    default: "",
    description:
      "ServiceAccount worker pods run as (no token mounted); empty: the namespace's default",
  }),
  imagePullPolicy: oneOf({
    env: "OTTOSCALER_IMAGE_PULL_POLICY",
    choices: ["IfNotPresent", "Always", "Never"],
    default: "IfNotPresent",
    description: "Worker image pull policy: IfNotPresent, Always, Never",
  }),
  pendingGraceSeconds: integer({
    env: "OTTOSCALER_PENDING_GRACE_SECONDS",
    default: "60",
    min: 1,
    description: "A worker pod stuck (image pull, unschedulable…) this long fails its attempt",
  }),
  maxWorkers: integer({
    env: "OTTOSCALER_MAX_WORKERS",
    default: "100",
    min: 1,
    description: "Workers running at once, across all pipelines and tasks",
  }),
  defaultImage: text({
    env: "OTTOSCALER_DEFAULT_IMAGE",
    default: "busybox:1.36",
    description: "Image for stages and tasks that name none",
  }),
  maxStages: integer({
    env: "OTTOSCALER_MAX_STAGES",
    default: "1000",
    min: 1,
    description: "Stages per pipeline",
  }),
  maxWorkersPerStage: integer({
    env: "OTTOSCALER_MAX_WORKERS_PER_STAGE",
    default: "1000",
    min: 1,
    description: "Workers per stage, and per ScaleUp call",
  }),
  maxAttempts: integer({
    env: "OTTOSCALER_MAX_ATTEMPTS",
    default: "10",
    min: 1,
    description: "Upper bound on retry.maxAttempts",
  }),
  maxBackoffMs: integer({
    env: "OTTOSCALER_MAX_BACKOFF_MS",
    default: "300000",
    min: 0,
    description: "Upper bound on any retry backoff",
  }),
  defaultStageTimeoutSeconds: integer({
    env: "OTTOSCALER_DEFAULT_STAGE_TIMEOUT_SECONDS",
    default: "3600",
    min: 1,
    description: "Stage timeout when a stage sets none",
  }),
  maxActivePipelines: integer({
    env: "OTTOSCALER_MAX_ACTIVE_PIPELINES",
    default: "1000",
    min: 1,
    description: "Pipelines running at once; more get ResourceExhausted",
  }),
  logMaxLinesPerWorker: integer({
    env: "OTTOSCALER_LOG_MAX_LINES_PER_WORKER",
    default: "1000",
    min: 1,
    description: "Newest log lines cached in memory per worker (older ones are read from disk)",
  }),
  logMaxLinesPerBuild: integer({
    env: "OTTOSCALER_LOG_MAX_LINES_PER_BUILD",
    default: "10000",
    min: 1,
    description: "Newest log lines cached in memory per pipeline (older ones are read from disk)",
  }),
  logMaxLineBytes: integer({
    env: "OTTOSCALER_LOG_MAX_LINE_BYTES",
    default: "16384",
    min: 64,
    description: "Longer output lines are split",
  }),
  dataDir: directory({
    env: "OTTOSCALER_DATA_DIR",
    default: path.join(
      process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state"),
      "ottoscaler",
    ),
    shownDefault: "~/.local/state/ottoscaler",
    description: "Where build logs and status events are stored (journals, delivery cursors)",
  }),
  logRetentionHours: integer({
    env: "OTTOSCALER_LOG_RETENTION_HOURS",
    default: "168",
    min: 0,
    description: "Stored builds are removed this long after they end, once Otto-handler has them",
  }),
  logRetentionBytes: integer({
    env: "OTTOSCALER_LOG_RETENTION_BYTES",
    default: "10737418240",
    min: 0,
    description: "Past this total size, the builds that ended first go (delivered ones first)",
  }),
  logRetentionIntervalSeconds: integer({
    env: "OTTOSCALER_LOG_RETENTION_INTERVAL_SECONDS",
    default: "300",
    min: 1,
    description: "How often retention runs (also once at start)",
  }),
  ottoHandlerUrl: httpUrl({
    env: "OTTO_HANDLER_URL",
    default: "",
    description: "Otto-handler's gRPC address (http:// or https://); empty: no forwarding",
  }),
  ottoHandlerToken: text({
    env: "OTTO_HANDLER_TOKEN",
    default: "",
    description: "Bearer token sent to Otto-handler",
  }),
  ottoHandlerCaFile: text({
    env: "OTTO_HANDLER_CA_FILE",
    default: "",
    description: "PEM CA file to trust for an https Otto-handler",
  }),
  ottoHandlerSource: text({
    env: "OTTO_HANDLER_SOURCE",
    default: "",
    description: "How this controller names itself to Otto-handler; empty: its namespace or host",
  }),
  ottoHandlerBatchEntries: integer({
    env: "OTTO_HANDLER_BATCH_ENTRIES",
    default: "1000",
    min: 1,
    max: 100_000,
    description: "Most entries per call to Otto-handler",
  }),
  ottoHandlerBatchBytes: integer({
    env: "OTTO_HANDLER_BATCH_BYTES",
    default: "1048576",
    min: 1024,
    description: "Most bytes of entries per call to Otto-handler",
  }),
  ottoHandlerMaxBackoffMs: integer({
    env: "OTTO_HANDLER_MAX_BACKOFF_MS",
    default: "30000",
    min: 100,
    description: "Longest wait between retries while Otto-handler is unreachable",
  }),
  ottoHandlerTimeoutMs: integer({
    env: "OTTO_HANDLER_TIMEOUT_MS",
    default: "10000",
    min: 100,
    description: "Deadline of each call to Otto-handler",
  }),
  retainPipelines: integer({
    env: "OTTOSCALER_RETAIN_PIPELINES",
    default: "100",
    min: 0,
    description: "Finished pipelines kept in memory (older ones are served from disk)",
  }),
  retainFinishedWorkers: integer({
    env: "OTTOSCALER_RETAIN_FINISHED_WORKERS",
    default: "1000",
    min: 0,
    description: "Finished ScaleUp workers kept in memory",
  }),
  workspaceRoot: directory({
    env: "OTTOSCALER_WORKSPACE_ROOT",
    default: path.join(os.tmpdir(), "ottoscaler"),
    shownDefault: "$TMPDIR/ottoscaler",
    description: "Where pipeline workspaces are created",
  }),
  localSecretsDir: text({
    env: "OTTOSCALER_LOCAL_SECRETS_DIR",
    default: "",
    description: "Local executor: where secretKeyRef values are read (<dir>/<secret>/<key>)",
  }),
  pipelineRuns: boolean({
    env: "OTTOSCALER_PIPELINE_RUNS",
    default: "true",
    description:
      "Kubernetes executor: record each run as a PipelineRun resource (the CRD in manifests/base/crds), so a restarted controller continues it and `kubectl apply` starts one",
  }),
  leaderElection: oneOf({
    env: "OTTOSCALER_LEADER_ELECTION",
    choices: ["auto", "true", "false"],
    default: "auto",
    description:
      "Only the holder of a coordination.k8s.io Lease acts (creates Jobs, writes status, touches the data directory); auto: on with the Kubernetes executor inside a cluster",
  }),
  leaseName: text({
    env: "OTTOSCALER_LEASE_NAME",
    default: "ottoscaler-controller",
    description: "Name of the leader-election Lease in the controller's namespace",
  }),
  leaseDurationSeconds: integer({
    env: "OTTOSCALER_LEASE_DURATION_SECONDS",
    default: "15",
    min: 2,
    max: 300,
    description: "How long a lease holds unrenewed; a standby waits this long after a crash",
  }),
  leaseRenewDeadlineSeconds: integer({
    env: "OTTOSCALER_LEASE_RENEW_DEADLINE_SECONDS",
    default: "10",
    min: 1,
    max: 299,
    description:
      "The holder stops acting and exits when it has not renewed for this long (below the duration)",
  }),
  leaseRetryPeriodSeconds: integer({
    env: "OTTOSCALER_LEASE_RETRY_PERIOD_SECONDS",
    default: "2",
    min: 1,
    max: 60,
    description: "Wait between tries to take or renew the lease",
  }),
  faultInjection: boolean({
    env: "OTTOSCALER_FAULT_INJECTION",
    default: "false",
    description:
      "Tests only: crash points armed by files under <data dir>/faults (e.g. `after-job-create`: SIGKILL right after a worker Job is created, before it is recorded)",
  }),
  keepWorkspaces: boolean({
    env: "OTTOSCALER_KEEP_WORKSPACES",
    default: "false",
    description: "Keep a pipeline's workspace after it ends",
  }),
  stopGraceMs: integer({
    env: "OTTOSCALER_STOP_GRACE_MS",
    default: "5000",
    min: 0,
    description: "SIGTERM to SIGKILL delay when stopping a worker",
  }),
  corsOrigins: list({
    env: "OTTOSCALER_CORS_ORIGINS",
    default: "",
    description: "Other browser origins allowed to call (comma-separated); empty: same-origin only",
  }),
  maxRequestBytes: integer({
    env: "OTTOSCALER_MAX_REQUEST_BYTES",
    default: "4194304",
    min: 1024,
    description: "Largest request message accepted",
  }),
  shutdownTimeoutMs: integer({
    env: "OTTOSCALER_SHUTDOWN_TIMEOUT_MS",
    default: "10000",
    min: 0,
    description: "How long shutdown waits for streams and workers",
  }),
  // A plain string in Config, not the union: the logger takes any pino level name.
  logLevel: oneOf<string>({
    env: "OTTOSCALER_LOG_LEVEL",
    choices: ["trace", "debug", "info", "warn", "error", "fatal", "silent"],
    default: "info",
    description: "trace, debug, info, warn, error",
  }),
  ndjsonHeartbeatMs: integer({
    env: "OTTOSCALER_NDJSON_HEARTBEAT_MS",
    default: "15000",
    min: 1,
    description:
      "A server stream read as newline-delimited JSON (curl) gets an empty line after this much silence, so proxies keep it open",
  }),
  metrics: boolean({
    env: "OTTOSCALER_METRICS",
    default: "true",
    description:
      "Serve Prometheus metrics at /metrics on the API port (behind the authentication when it is on); false also stops timing RPCs",
  }),
  logLanguage: oneOf({
    env: "OTTOSCALER_LOG_LANG",
    choices: ["en", "ko"],
    default: "en",
    description: "Log messages in en or ko",
  }),
};

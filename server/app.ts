import os from "node:os";
import path from "node:path";
import type { ApiDeps } from "./api/api-deps.ts";
import { CallerLimits } from "./api/caller-limits.ts";
import { AuditLog } from "./audit/audit-log.ts";
import type { Authenticator } from "./auth/authenticator.ts";
import { createAuthenticator } from "./auth/create-authenticator.ts";
import { kubernetesAuthenticator } from "./auth/kubernetes-authenticator.ts";
import { type Config, ConfigError } from "./config/config.ts";
import { PipelineEngine } from "./engine/pipeline-engine.ts";
import type { Executor, WorkerSpec } from "./executor/executor.ts";
import {
  KubernetesExecutor,
  type KubernetesExecutorOptions,
} from "./executor/kubernetes/kubernetes-executor.ts";
import { LocalExecutor } from "./executor/local/local-executor.ts";
import { createAccessReviews } from "./k8s/access-reviews.ts";
import {
  createClients,
  type KubernetesClients,
  loadKubeConfig,
  resolveNamespace,
  runningInCluster,
} from "./k8s/client.ts";
import { clientNode } from "./k8s/client-node.ts";
import { EventRecorder } from "./k8s/event-recorder.ts";
import { fencedClients } from "./k8s/fenced-clients.ts";
import { LeaseElector, leaseTimingsProblem } from "./k8s/lease-elector.ts";
import type { PipelineRunObject } from "./k8s/pipeline-run-resource.ts";
import { KubernetesRunStore } from "./k8s/pipeline-run-store.ts";
import { KubernetesGroupStore } from "./k8s/worker-group-store.ts";
import { BuildRecorder } from "./logs/build-recorder.ts";
import { FollowerCache } from "./logs/follower-cache.ts";
import { Forwarding } from "./logs/forwarding/forwarding.ts";
import { LogReader } from "./logs/log-reads.ts";
import { PipelineArchive } from "./logs/pipeline-archive.ts";
import type { BuildJournal } from "./logs/store/build-journal.ts";
import { BuildStore } from "./logs/store/build-store.ts";
import { applyRetention, type RetentionPolicy } from "./logs/store/retention.ts";
import { finishInterruptedPipelines } from "./logs/store/stored-pipelines.ts";
import { TaskHistory } from "./logs/task-history.ts";
import { createLogger, type Logger } from "./observability/logger.ts";
import { Metrics } from "./observability/metrics.ts";
import { PipelineMetrics } from "./observability/pipeline-metrics.ts";
import { observeWorkersAndForwarding } from "./observability/scraped-gauges.ts";
import { continueGroups, taskGroupStore } from "./resources/group-continuation.ts";
import { PipelineRunController } from "./resources/pipeline-run-controller.ts";
import { pipelineIdOf } from "./resources/pipeline-run-spec.ts";
import { engineRunStore, startOrContinue, unfinishedRuns } from "./resources/run-continuation.ts";
import { fileFaultPoints } from "./util/fault-points.ts";
import { TaskManager } from "./workers/task-manager.ts";
import { WorkerRegistry } from "./workers/worker-registry.ts";
import { WorkerRunner } from "./workers/worker-runner.ts";
import { WorkerSlots } from "./workers/worker-slots.ts";

/** Everything the API serves, wired once. */
export interface App extends ApiDeps {
  executor: Executor;
  slots: WorkerSlots;
  registry: WorkerRegistry;
  followers: FollowerCache;
  logs: LogReader;
  forwarding: Forwarding;
  engine: PipelineEngine;
  tasks: TaskManager;
  audit: AuditLog;
  /**
   * Aborts when the server begins to shut down. Streams need not watch it:
   * shutdown ends every pipeline, worker and watch, and so every stream,
   * after its final events; one still open then ends UNAVAILABLE for its
   * client to retry (server/api/shutdown-interceptor.ts).
   */
  stopping: AbortSignal;
  /**
   * Loads the build store (repairing damaged journals, ending pipelines a
   * crash interrupted), applies retention and starts forwarding. Before
   * serving: pipelines must not start before their ids are known.
   */
  open(): Promise<void>;
  /** Applies the retention policy now (it also runs periodically once open). */
  applyRetention(nowMs?: number): Promise<void>;
  /** Connects the executor; `ready` turns true once it has. */
  start(): Promise<void>;
  readonly ready: boolean;
  /**
   * With leader election on: resolves true once this replica holds the
   * controller lease (false if shut down first). Until then it must not open()
   * the data directory nor start(); without election it is undefined.
   */
  campaign?: () => Promise<boolean>;
  /** Called once if the lease is lost: the process must stop acting, i.e. exit. */
  onLeaseLost(listener: (reason: string) => void): void;
  shutdown(reason?: string): Promise<void>;
}

/** The Kubernetes executor's options, as the configuration sets them. */
export function kubernetesExecutorOptions(config: Config): KubernetesExecutorOptions {
  return {
    namespace: resolveNamespace(config.namespace),
    defaults: {
      cpuRequest: config.workerCpuRequest,
      cpuLimit: config.workerCpuLimit,
      memoryRequest: config.workerMemoryRequest,
      memoryLimit: config.workerMemoryLimit,
    },
    imagePullPolicy: config.imagePullPolicy,
    runAsUser: config.workerRunAsUser,
    serviceAccount: config.workerServiceAccount,
    stopGraceMs: config.stopGraceMs,
    pendingGraceMs: config.pendingGraceSeconds * 1000,
    maxLineBytes: config.logMaxLineBytes,
    ...(config.faultInjection && { faults: fileFaultPoints(path.join(config.dataDir, "faults")) }),
  };
}

function executorKind(config: Config): "local" | "kubernetes" {
  return config.executor === "auto"
    ? runningInCluster()
      ? "kubernetes"
      : "local"
    : config.executor;
}

/** The executor the configuration asks for: Kubernetes inside a cluster unless told otherwise. */
export function createExecutor(
  config: Config,
  logger: Logger,
  kubernetes: Pick<KubernetesExecutorOptions, "ownerOf" | "metrics"> & {
    clients?: KubernetesClients;
  } = {},
): Executor {
  if (executorKind(config) === "local") {
    return new LocalExecutor({
      workspaceRoot: config.workspaceRoot,
      stopGraceMs: config.stopGraceMs,
      maxLineBytes: config.logMaxLineBytes,
      secretsDir: config.localSecretsDir,
    });
  }
  const { clients, ownerOf, metrics } = kubernetes;
  return new KubernetesExecutor(
    clients ?? createClients(loadKubeConfig()),
    {
      ...kubernetesExecutorOptions(config),
      ...(ownerOf !== undefined && { ownerOf }),
      ...(metrics !== undefined && { metrics }),
    },
    logger,
  );
}

/** Whether only the holder of the controller Lease may act (on with the in-cluster Kubernetes executor). */
function leaderElected(config: Config): boolean {
  if (executorKind(config) !== "kubernetes") return false;
  return config.leaderElection === "auto" ? runningInCluster() : config.leaderElection === "true";
}

function createElector(config: Config, clients: KubernetesClients, logger: Logger): LeaseElector {
  const timings = {
    leaseDurationMs: config.leaseDurationSeconds * 1000,
    renewDeadlineMs: config.leaseRenewDeadlineSeconds * 1000,
    retryPeriodMs: config.leaseRetryPeriodSeconds * 1000,
  };
  const problem = leaseTimingsProblem(timings);
  if (problem !== undefined) {
    throw new ConfigError(
      `OTTOSCALER_LEASE_DURATION_SECONDS, OTTOSCALER_LEASE_RENEW_DEADLINE_SECONDS, OTTOSCALER_LEASE_RETRY_PERIOD_SECONDS: ${problem}`,
    );
  }
  return new LeaseElector(
    clients.kc.makeApiClient(clientNode().CoordinationV1Api),
    {
      ...timings,
      namespace: resolveNamespace(config.namespace),
      name: config.leaseName,
      // The pod's name (the Deployment passes it; a pod's hostname is its name too).
      identity: process.env.POD_NAME || os.hostname(),
    },
    logger,
  );
}

/** A worker's Job belongs to its pipeline's PipelineRun, or to its task's WorkerGroup. */
function ownerOfWorker(runs: KubernetesRunStore, groups: KubernetesGroupStore) {
  return (spec: WorkerSpec) => {
    if (spec.pipelineId !== undefined) return runs.ownerReferenceOf(spec.pipelineId);
    if (spec.taskId !== undefined) return groups.ownerReferenceOf(spec.taskId);
    return undefined;
  };
}

export function createApp(
  config: Config,
  parts: { executor?: Executor; logger?: Logger; auth?: Authenticator } = {},
): App {
  const logger =
    parts.logger ?? createLogger({ level: config.logLevel, language: config.logLanguage });
  const auth =
    parts.auth ??
    createAuthenticator(config, logger, () =>
      kubernetesAuthenticator(createAccessReviews(loadKubeConfig()), {
        namespace: resolveNamespace(config.namespace),
        cacheMs: config.authCacheSeconds * 1000,
      }),
    );
  const limits = new CallerLimits(config);
  const metrics = new Metrics({ enabled: config.metrics });
  const audit = new AuditLog(path.join(config.dataDir, "audit"), {
    retentionDays: config.auditRetentionDays,
    logger,
  });
  // On Kubernetes, runs are PipelineRun resources: a restarted controller continues them.
  const direct =
    parts.executor === undefined && executorKind(config) === "kubernetes"
      ? createClients(loadKubeConfig())
      : undefined;
  const elector =
    direct !== undefined && leaderElected(config)
      ? createElector(config, direct, logger)
      : undefined;
  // Everything acts through clients fenced by the lease: a deposed controller cannot write.
  const clients =
    direct !== undefined && elector !== undefined
      ? fencedClients(direct, () => elector.leading)
      : direct;
  const runs =
    clients !== undefined && config.pipelineRuns
      ? new KubernetesRunStore(
          clients.custom,
          resolveNamespace(config.namespace),
          logger,
          new EventRecorder(clients.core, resolveNamespace(config.namespace), logger),
        )
      : undefined;
  const groups =
    runs !== undefined && clients !== undefined
      ? new KubernetesGroupStore(clients.custom, resolveNamespace(config.namespace), logger)
      : undefined;
  const executor =
    parts.executor ??
    createExecutor(config, logger, {
      metrics,
      ...(clients !== undefined && { clients }),
      ...(runs !== undefined && groups !== undefined && { ownerOf: ownerOfWorker(runs, groups) }),
    });
  const slots = new WorkerSlots(config.maxWorkers);
  const registry = new WorkerRegistry();
  const store = new BuildStore(config.dataDir, logger, metrics);
  const followers = new FollowerCache({
    maxLinesPerWorker: config.logMaxLinesPerWorker,
    maxLinesPerBuild: config.logMaxLinesPerBuild,
  });
  const recorder = new BuildRecorder(store);
  const logs = new LogReader(followers, store);
  const forwarding = new Forwarding(
    config,
    store,
    logger,
    runningInCluster() ? resolveNamespace(config.namespace) : "",
  );
  const retention: RetentionPolicy = {
    maxAgeMs: config.logRetentionHours * 3_600_000,
    maxBytes: config.logRetentionBytes,
  };
  let retentionTimer: NodeJS.Timeout | undefined;
  const delivered = (journal: BuildJournal) => forwarding.delivered(journal);
  const runner = new WorkerRunner({
    executor,
    slots,
    registry,
    recorder,
    followers,
    logger,
    metrics,
  });
  observeWorkersAndForwarding(metrics, {
    executor: parts.executor === undefined ? executorKind(config) : "custom",
    workers: () => registry.list(),
    slots,
    forwarding: () => forwarding.status(),
    journalBytes: () => store.list().reduce((sum, journal) => sum + journal.readableBytes, 0),
  });
  const archive = new PipelineArchive(store);
  const engine = new PipelineEngine(
    {
      maxActivePipelines: config.maxActivePipelines,
      retainPipelines: config.retainPipelines,
      keepWorkspaces: config.keepWorkspaces,
    },
    {
      runner,
      executor,
      registry,
      recorder,
      followers,
      history: archive,
      logger,
      metrics: new PipelineMetrics(metrics),
      ...(runs !== undefined && { store: engineRunStore(runs) }),
    },
  );
  /** PipelineRuns not ended when this controller started: continued once the executor is up. */
  let unfinished: readonly PipelineRunObject[] = [];
  const continuation = runs && { runs, engine, archive, limits: config, logger };
  const runController =
    clients !== undefined && continuation !== undefined
      ? new PipelineRunController({
          ...continuation,
          kc: clients.kc,
          namespace: resolveNamespace(config.namespace),
        })
      : undefined;
  const tasks = new TaskManager(config.retainFinishedWorkers, {
    runner,
    executor,
    registry,
    recorder,
    followers,
    logger,
    ...(groups !== undefined && { groups: taskGroupStore(groups) }),
  });
  const stopping = new AbortController();
  let shutdown: Promise<void> | undefined;
  /** Whether open() ran: a standby that never held the lease has nothing of the data directory to close. */
  let opened = false;
  return {
    config,
    logger,
    auth,
    audit,
    limits,
    metrics,
    executor,
    slots,
    registry,
    followers,
    logs,
    forwarding,
    engine,
    tasks,
    stopping: stopping.signal,
    async open() {
      opened = true;
      await audit.open();
      await store.load();
      // With runs recorded in the cluster, which pipelines go on is known only once it answers:
      // start() decides. Without, every unfinished one was interrupted for good.
      if (runs === undefined) await finishInterruptedPipelines(store, logger);
      logger.info("storeLoaded", { dataDir: config.dataDir, builds: store.list().length });
      // Forwarding first: retention keeps what a destination has not acknowledged yet.
      await forwarding.start();
      await applyRetention(store, retention, logger, delivered);
      retentionTimer = setInterval(
        () =>
          void applyRetention(store, retention, logger, delivered).then(() =>
            audit.applyRetention(),
          ),
        config.logRetentionIntervalSeconds * 1000,
      );
      retentionTimer.unref();
    },
    async applyRetention(nowMs = Date.now()) {
      await applyRetention(store, retention, logger, delivered, nowMs);
    },
    async start() {
      if (runs !== undefined) {
        unfinished = await unfinishedRuns(runs);
        await finishInterruptedPipelines(store, logger, new Set(unfinished.map(pipelineIdOf)));
      }
      await executor.start?.();
      if (continuation !== undefined) {
        for (const object of unfinished) await startOrContinue(object, continuation);
        unfinished = [];
      }
      const continuedGroups =
        groups === undefined
          ? new Set<string>()
          : await continueGroups(await groups.list(), {
              tasks,
              history: new TaskHistory(store),
              logger,
            });
      if (executor instanceof KubernetesExecutor) {
        await executor.deleteUnclaimedJobs(
          ({ pipelineId, taskId }) =>
            (pipelineId !== undefined && engine.isRunning(pipelineId)) ||
            (taskId !== undefined && continuedGroups.has(taskId)),
        );
      }
      // From now on PipelineRuns applied, changed or deleted with kubectl are acted on.
      await runController?.start();
    },
    ...(elector !== undefined && { campaign: () => elector.acquire(stopping.signal) }),
    onLeaseLost(listener) {
      elector?.onLost(listener);
    },
    get active() {
      return elector?.leading ?? true;
    },
    get ready() {
      return !stopping.signal.aborted && (elector?.leading ?? true) && (executor.ready ?? true);
    },
    shutdown(reason = "server shutting down") {
      shutdown ??= (async () => {
        stopping.abort(reason);
        clearInterval(retentionTimer);
        if (!opened) {
          // A standby: it acted on nothing.
          await elector?.release();
          auth.close();
          return;
        }
        await runController?.stop();
        // Before the pipelines end: their workers (e.g. Jobs) keep running instead of being stopped.
        executor.leaveWorkersRunning?.();
        // Runs recorded as PipelineRuns are left to the next controller, which continues them.
        await Promise.all([
          engine.shutdown(reason, { leaveRunning: runs !== undefined }),
          tasks.shutdown(reason, { leaveRunning: groups !== undefined }),
        ]);
        runs?.close();
        groups?.close();
        await executor.close();
        followers.close();
        await store.close();
        // What is not delivered yet stays in the journals; the next start resumes from the cursors.
        await forwarding.stop();
        registry.close();
        auth.close();
        await audit.close();
        // Last: everything the lease guards has stopped, so the next controller may start at once.
        await elector?.release();
      })();
      return shutdown;
    },
  };
}

import { randomUUID } from "node:crypto";
import type { V1OwnerReference, V1Pod } from "@kubernetes/client-node";
import { kubernetesNameOf } from "../../domain/worker-id.ts";
import type { KubernetesClients } from "../../k8s/client.ts";
import { classifyKubernetesError } from "../../k8s/errors.ts";
import { labels } from "../../k8s/labels.ts";
import type { Logger } from "../../observability/logger.ts";
import type { Metrics } from "../../observability/metrics.ts";
import { abortReason } from "../../util/abort-reason.ts";
import type { FaultPoints } from "../../util/fault-points.ts";
import { WorkQueue } from "../../util/work-queue.ts";
import type {
  Executor,
  WorkerHooks,
  WorkerOutcome,
  WorkerResources,
  WorkerSpec,
} from "../executor.ts";
import { stoppedBy } from "../executor.ts";
import { adoptionRefusal, createJobSpec } from "./job-spec.ts";
import { deleteOrphanJobs } from "./orphan-jobs.ts";
import { PodLogCapture } from "./pod-log.ts";
import { podState } from "./pod-state.ts";
import { WorkerCaches } from "./worker-caches.ts";
import { type JobCallMetrics, WorkerJobsApi } from "./worker-jobs.ts";
import type { LiveWorker, WorkerPhase } from "./worker-phase.ts";

export interface KubernetesExecutorOptions {
  namespace: string;
  /** Job call latency and errors, informer relists and watch restarts. */
  metrics?: JobCallMetrics & Pick<Metrics, "informerRelists" | "watchRestarts">;
  defaults: WorkerResources;
  imagePullPolicy: "IfNotPresent" | "Always" | "Never";
  runAsUser: number;
  /** See JobSpecOptions.serviceAccount. */
  serviceAccount?: string;
  stopGraceMs: number;
  pendingGraceMs: number;
  maxLineBytes: number;
  /** How often every live worker is reconciled even without events, as a safety net. */
  resyncMs?: number;
  /** Crash points for tests (`after-job-create`). */
  faults?: FaultPoints;
  /** The resource a worker's Job belongs to (its PipelineRun or WorkerGroup), when they are recorded. */
  ownerOf?: (spec: WorkerSpec) => V1OwnerReference | undefined;
}

/**
 * Runs each worker as a batch/v1 Job of one pod (each with its own emptyDir at
 * /workspace: no workspace is shared between pods). Job and Pod informers (one
 * each, label-selected) only enqueue the worker's key; `reconcile` reads the
 * caches and moves the worker on, so it is safe to run any number of times.
 */
export class KubernetesExecutor implements Executor {
  readonly name = "kubernetes";
  readonly instance = randomUUID();
  readonly #clients: KubernetesClients;
  readonly #options: KubernetesExecutorOptions;
  readonly #logger: Logger;
  readonly #live = new Map<string, LiveWorker>();
  readonly #api: WorkerJobsApi;
  readonly #queue = new WorkQueue((key) => this.#reconcile(key), {
    onError: (key, error) =>
      this.#logger.warn("workerReconcileFailed", { job: key, error: String(error) }),
  });
  #caches: WorkerCaches | undefined;
  #resync: NodeJS.Timeout | undefined;
  /** Set at shutdown: workers are let go, their Jobs left running (see leaveWorkersRunning). */
  #leaving = false;
  readonly #left: string[] = [];

  constructor(clients: KubernetesClients, options: KubernetesExecutorOptions, logger: Logger) {
    this.#clients = clients;
    this.#options = options;
    this.#logger = logger;
    this.#api = new WorkerJobsApi(clients, options.namespace, options.metrics);
  }

  /**
   * Starts the informers and waits for their first lists (for as long as the
   * API server takes to answer: until then the server is not ready). The Jobs
   * an earlier controller left are adopted by the runs that continue, and the
   * rest removed by `deleteUnclaimedJobs`.
   */
  async start(): Promise<void> {
    const resyncAll = () => {
      for (const key of this.#live.keys()) this.#queue.add(key);
    };
    this.#caches = new WorkerCaches(
      this.#clients,
      this.#options.namespace,
      { changed: (key) => this.#queue.add(key), resynced: resyncAll },
      this.#logger,
      this.#options.metrics,
    );
    await this.#caches.firstSync;
    this.#resync = setInterval(resyncAll, this.#options.resyncMs ?? 30_000);
    this.#resync.unref();
  }

  /**
   * Deletes the managed Jobs no run or worker group of this controller claims (those of
   * pipelines that ended or are not continued, and of workers no group lists any more), once
   * the runs and groups that continue have adopted theirs.
   */
  async deleteUnclaimedJobs(
    claimed: (owner: { pipelineId?: string; taskId?: string }) => boolean,
  ): Promise<void> {
    const namespace = this.#options.namespace;
    const jobs = (this.#caches?.jobs() ?? []).filter((job) => {
      const pipelineId = job.metadata?.labels?.[labels.pipeline];
      const taskId = job.metadata?.labels?.[labels.task];
      const name = job.metadata?.name ?? "";
      return (
        !this.#live.has(name) &&
        !claimed({
          ...(pipelineId !== undefined && { pipelineId }),
          ...(taskId !== undefined && { taskId }),
        })
      );
    });
    try {
      await deleteOrphanJobs(this.#clients.batch, namespace, jobs, this.#logger);
    } catch (error) {
      // Not fatal: they are still labelled, and the next start-up tries again.
      this.#logger.warn("jobDeleteFailed", { error: String(error) });
    }
  }

  async releaseOwner(pipelineId: string): Promise<void> {
    // Shutting down: what is left goes on without us, and the next controller decides.
    if (this.#leaving) return;
    const jobs = (this.#caches?.jobs() ?? []).filter(
      (job) =>
        job.metadata?.labels?.[labels.pipeline] === pipelineId &&
        !this.#live.has(job.metadata?.name ?? ""),
    );
    await Promise.all(jobs.map((job) => this.#deleteJobQuietly(job.metadata?.name ?? "")));
  }

  get ready(): boolean {
    return this.#caches?.synced ?? false;
  }

  async runWorker(
    spec: WorkerSpec,
    hooks: WorkerHooks,
    signal: AbortSignal,
  ): Promise<WorkerOutcome> {
    // The next controller makes it (or adopts it): nothing of it is recorded here.
    if (this.#leaving) {
      return { phase: "stopped", reason: "controller shutting down", leftRunning: true };
    }
    if (signal.aborted) return stoppedBy(signal);
    const jobName = kubernetesNameOf(spec.workerId);
    const owner = this.#options.ownerOf?.(spec);
    const job = createJobSpec(spec, {
      namespace: this.#options.namespace,
      controllerInstance: this.instance,
      defaults: this.#options.defaults,
      imagePullPolicy: this.#options.imagePullPolicy,
      runAsUser: this.#options.runAsUser,
      ...(this.#options.serviceAccount && { serviceAccount: this.#options.serviceAccount }),
      terminationGraceSeconds: Math.ceil(this.#options.stopGraceMs / 1000),
      ...(owner !== undefined && { owner }),
    });
    return new Promise<WorkerOutcome>((resolve) => {
      const worker: LiveWorker = {
        spec,
        jobName,
        hooks,
        resolve,
        phase: { name: "creating", job, failures: 0 },
        started: false,
        jobSeen: false,
        waitingFor: "",
        logs: undefined,
      };
      this.#live.set(jobName, worker);
      signal.addEventListener(
        "abort",
        () => {
          const phase = worker.phase.name;
          if (phase === "collecting" || phase === "removing" || phase === "done") return;
          if (this.#leaving) this.#leave(worker, abortReason(signal));
          else this.#beginRemoval(worker, stoppedBy(signal));
        },
        { once: true },
      );
      this.#queue.add(jobName);
    });
  }

  /**
   * The controller is shutting down: from now on a worker that is stopped (its signal aborts) or
   * still running at close() is let go, its Job left running rather than deleted, and no new Job
   * is made. A controller that stops (a rollout, a node drain) thus never kills the work in
   * flight; the next controller adopts those Jobs (or deletes them, if no run claims them).
   */
  leaveWorkersRunning(): void {
    this.#leaving = true;
  }

  async close(): Promise<void> {
    clearInterval(this.#resync);
    for (const worker of [...this.#live.values()]) {
      const phase = worker.phase.name;
      if (phase === "collecting" || phase === "removing" || phase === "done") continue;
      if (this.#leaving) this.#leave(worker, "executor closing");
      else this.#beginRemoval(worker, { phase: "stopped", reason: "executor closing" });
    }
    if (this.#left.length > 0) {
      this.#logger.info("workersLeftRunning", {
        namespace: this.#options.namespace,
        jobs: this.#left,
        count: this.#left.length,
      });
    }
    await this.#caches?.stop();
  }

  /**
   * Moves one worker on from its phase, reading the caches. Safe to run any number of times;
   * throws when an API call fails, and the queue tries again after its backoff.
   */
  async #reconcile(jobName: string): Promise<void> {
    const worker = this.#live.get(jobName);
    if (worker === undefined) return;
    const { phase } = worker;
    switch (phase.name) {
      case "creating":
        return this.#create(worker, phase);
      case "waiting":
      case "running":
        return this.#observe(worker);
      case "collecting":
        return this.#collect(worker, phase);
      case "removing":
        return this.#removeStep(worker, phase);
      case "done":
        return;
    }
  }

  /**
   * Makes the worker's Job, or adopts the one an earlier controller made (found in the cache, or
   * by the create's AlreadyExists), after checking it is that worker's. A worker the earlier
   * controller had made whose Job is gone fails: its Job vanished while no controller ran, and
   * making it again would run its command twice.
   */
  async #create(worker: LiveWorker, phase: Extract<WorkerPhase, { name: "creating" }>) {
    const { jobName: name, spec } = worker;
    let existing = this.#caches?.job(name);
    // The cache may lag a Job made just before the restart: ask the API before failing it.
    if (existing === undefined && spec.recovered?.created === true) {
      existing = await this.#api.read(name);
      if (worker.phase !== phase) return;
      if (existing === undefined) {
        const reason = `its Job ${name} was deleted while no controller was running`;
        return this.#end(worker, { phase: "failed", reason });
      }
    }
    if (existing === undefined) {
      try {
        await this.#api.create(phase.job);
        // A crash here leaves a Job nobody has recorded: the next controller must adopt it.
        this.#options.faults?.hit("after-job-create", name);
        this.#logger.debug("jobCreated", { job: name, workerId: spec.workerId });
      } catch (cause) {
        const error = classifyKubernetesError(cause, `creating job ${name}`);
        phase.failures++;
        // A just-restarted API server denies everything until its RBAC caches fill.
        const retry =
          (error.class === "transient" && phase.failures <= 30) ||
          (error.class === "forbidden" && phase.failures <= 5);
        if (error.class === "conflict") {
          // Made before (a lost response to our own create, or an earlier controller's).
          existing = await this.#api.read(name);
          if (existing === undefined) throw error;
        } else if (retry) {
          throw error;
        } else {
          if (worker.phase === phase) this.#end(worker, { phase: "failed", reason: error.message });
          return;
        }
      }
    }
    if (existing !== undefined) {
      const refused = adoptionRefusal(existing, spec.workerId);
      if (refused !== undefined) {
        if (worker.phase === phase) this.#end(worker, { phase: "failed", reason: refused });
        return;
      }
      this.#logger.info("jobAdopted", { job: name, workerId: spec.workerId });
    }
    // Stopped or let go while its Job was being made: the removal (or the next controller) has it.
    if (worker.phase !== phase) return;
    worker.phase = { name: "waiting" };
    worker.hooks.created?.();
    await this.#observe(worker);
  }

  /** A worker whose Job exists: its pod's state decides what happens next. */
  async #observe(worker: LiveWorker): Promise<void> {
    const job = this.#caches?.job(worker.jobName);
    const pod = this.#caches?.podOf(worker.jobName);
    if (job !== undefined) worker.jobSeen = true;
    if (pod === undefined) {
      const failed = job?.status?.conditions?.find(
        (c) => c.type === "Failed" && c.status === "True",
      );
      if (failed !== undefined) {
        worker.phase = {
          name: "collecting",
          outcome: { phase: "failed", reason: failed.reason ?? "job failed" },
          podEnded: false,
        };
      } else if (job === undefined && worker.jobSeen) {
        worker.phase = {
          name: "collecting",
          outcome: { phase: "failed", reason: "job deleted outside Ottoscaler" },
          podEnded: false,
        };
      } else {
        return;
      }
      return this.#collect(worker, worker.phase);
    }
    const state = podState(pod);
    switch (state.kind) {
      case "pending":
        return this.#checkStuck(worker, state.stuck);
      case "running":
        this.#clearStuck(worker);
        worker.phase = { name: "running" };
        this.#markStarted(worker, pod);
        return;
      case "exited":
        this.#markStarted(worker, pod);
        worker.phase = {
          name: "collecting",
          outcome:
            state.exitCode === 0
              ? { phase: "succeeded", exitCode: 0, reason: "exit code 0" }
              : { phase: "failed", exitCode: state.exitCode, reason: state.reason },
          podEnded: true,
        };
        return this.#collect(worker, worker.phase);
      case "failed":
        worker.phase = {
          name: "collecting",
          outcome: { phase: "failed", reason: state.reason },
          podEnded: true,
        };
        return this.#collect(worker, worker.phase);
    }
  }

  #checkStuck(worker: LiveWorker, stuck: string | undefined): void {
    if (stuck === undefined) {
      this.#clearStuck(worker);
      return;
    }
    if (worker.waitingFor !== stuck) {
      worker.waitingFor = stuck;
      worker.hooks.waiting?.(stuck);
    }
    const grace = this.#options.pendingGraceMs;
    const phase = worker.phase;
    const now = Date.now();
    if (phase.name !== "waiting" || phase.stuck === undefined) {
      worker.phase = { name: "waiting", stuck: { reason: stuck, since: now } };
      this.#logger.warn("podStuck", { job: worker.jobName, reason: stuck });
      this.#queue.addAfter(worker.jobName, grace);
      return;
    }
    const left = phase.stuck.since + grace - now;
    if (left > 0) {
      this.#queue.addAfter(worker.jobName, left);
      return;
    }
    const seconds = Math.round(grace / 1000);
    this.#beginRemoval(worker, { phase: "failed", reason: `${stuck} (stuck for ${seconds}s)` });
  }

  #clearStuck(worker: LiveWorker): void {
    if (worker.phase.name !== "waiting" || worker.phase.stuck === undefined) return;
    worker.phase = { name: "waiting" };
    worker.waitingFor = "";
    worker.hooks.waiting?.("");
  }

  #markStarted(worker: LiveWorker, pod: V1Pod): void {
    if (!worker.started) {
      worker.started = true;
      worker.hooks.started();
    }
    this.#startLogs(worker, pod);
  }

  #startLogs(worker: LiveWorker, pod: V1Pod): void {
    if (worker.logs !== undefined) return;
    worker.logs = new PodLogCapture(
      this.#clients.kc,
      { namespace: this.#options.namespace, pod: pod.metadata?.name ?? "" },
      this.#options.maxLineBytes,
      (line) => worker.hooks.log("stdout", line),
    );
    worker.logs.follow();
  }

  /** Its pod has ended: reads the whole log, lets a task's Job go, then reports the outcome. */
  async #collect(worker: LiveWorker, phase: Extract<WorkerPhase, { name: "collecting" }>) {
    if (worker.logs !== undefined && phase.podEnded) {
      try {
        await worker.logs.complete();
      } catch (error) {
        this.#logger.warn("logCaptureFailed", { job: worker.jobName, error: String(error) });
      }
    }
    worker.logs?.close();
    // A pipeline's Job stays until the pipeline's end is recorded (releaseOwner), so a
    // controller restarted before then can read the result; a task's goes now.
    if (worker.spec.pipelineId === undefined) void this.#deleteJobQuietly(worker.jobName);
    this.#end(worker, phase.outcome);
  }

  /** Stops a worker: its Job, then every pod of it, are deleted; `outcome` is reported after. */
  #beginRemoval(worker: LiveWorker, outcome: WorkerOutcome): void {
    worker.phase = { name: "removing", outcome, jobDeleted: false, podsDeleted: new Set() };
    this.#queue.add(worker.jobName);
  }

  async #removeStep(worker: LiveWorker, phase: Extract<WorkerPhase, { name: "removing" }>) {
    if (!phase.jobDeleted) {
      // Orphan first, then delete the pod ourselves: a Job deleted with its pod still
      // terminating would make the 1.20 Job controller start a replacement pod, running
      // the stopped worker's command again. Asked of the API even when the cache has no Job:
      // one being made may not have reached it yet.
      await this.#api.delete(worker.jobName, "Orphan");
      phase.jobDeleted = true;
    }
    // Its deletion reaches the cache by watch, and that brings us back here.
    if (this.#caches?.job(worker.jobName) !== undefined) return;
    const pods = this.#caches?.podsOf(worker.jobName) ?? [];
    for (const pod of pods) {
      if (podState(pod).kind === "running") this.#startLogs(worker, pod);
      await this.#deletePod(worker, phase, pod);
    }
    if (pods.length > 0) return;
    // The cache may not have seen a pod the Job made just before it went: ask the API.
    const left = await this.#api.podsOf(worker.jobName);
    if (left.length === 0) {
      worker.logs?.close();
      this.#end(worker, phase.outcome);
      return;
    }
    for (const pod of left) await this.#deletePod(worker, phase, pod);
  }

  async #deletePod(
    worker: LiveWorker,
    phase: Extract<WorkerPhase, { name: "removing" }>,
    pod: V1Pod,
  ): Promise<void> {
    const name = pod.metadata?.name;
    if (name === undefined || phase.podsDeleted.has(name)) return;
    // A container that never started has nothing to stop gracefully.
    const grace = worker.started ? Math.ceil(this.#options.stopGraceMs / 1000) : 0;
    await this.#api.deletePod(name, grace);
    phase.podsDeleted.add(name);
  }

  /** Stops following a worker and reports it stopped, leaving its Job (and pod) as they are. */
  #leave(worker: LiveWorker, reason: string): void {
    worker.logs?.close();
    this.#left.push(worker.jobName);
    this.#end(worker, {
      phase: "stopped",
      reason: `${reason}; its Job is left running`,
      leftRunning: true,
    });
  }

  #end(worker: LiveWorker, outcome: WorkerOutcome): void {
    worker.phase = { name: "done" };
    this.#live.delete(worker.jobName);
    this.#queue.forget(worker.jobName);
    worker.resolve(outcome);
  }

  /** An ended worker's Job, best effort: a Job left over is deleted at the next start-up. */
  async #deleteJobQuietly(name: string): Promise<void> {
    try {
      await this.#api.delete(name, "Background");
    } catch (error) {
      this.#logger.warn("jobDeleteFailed", { job: name, error: String(error) });
    }
  }
}

import { randomUUID } from "node:crypto";
import type { V1Job, V1OwnerReference, V1Pod } from "@kubernetes/client-node";
import { kubernetesNameOf } from "../../domain/worker-id.ts";
import type { KubernetesClients } from "../../k8s/client.ts";
import { classifyKubernetesError, isNotFound } from "../../k8s/errors.ts";
import { type RunningInformer, startInformer } from "../../k8s/informer.ts";
import { labels, managedSelector } from "../../k8s/labels.ts";
import type { Logger } from "../../observability/logger.ts";
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
import { createJob } from "./create-job.ts";
import { adoptionRefusal } from "./job-adoption.ts";
import { createJobSpec } from "./job-spec.ts";
import { deleteOrphanJobs } from "./orphan-jobs.ts";
import { PodLogCapture } from "./pod-log.ts";
import { podState } from "./pod-state.ts";

export interface KubernetesExecutorOptions {
  namespace: string;
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

/** One worker being run: what reconcile needs to move it on. */
interface LiveWorker {
  spec: WorkerSpec;
  jobName: string;
  hooks: WorkerHooks;
  resolve: (outcome: WorkerOutcome) => void;
  started: boolean;
  jobSeen: boolean;
  /** Set when the worker is being removed: the outcome to report once its Job and pod are gone. */
  removing: WorkerOutcome | undefined;
  finishing: boolean;
  stuckSince: number | undefined;
  /** Pods whose deletion has been asked for, while removing. */
  podsDeleted: Set<string>;
  /** Asking the API whether any pod is left, while removing. */
  verifying: boolean;
  /** The last reason told to the hooks, so each is told once. */
  waitingFor: string;
  stuckTimer: NodeJS.Timeout | undefined;
  logs: PodLogCapture | undefined;
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
  readonly #queue = new WorkQueue((key) => this.#reconcile(key));
  #pods: RunningInformer<V1Pod> | undefined;
  #jobs: RunningInformer<V1Job> | undefined;
  #resync: NodeJS.Timeout | undefined;
  /** Set at shutdown: workers are let go, their Jobs left running (see leaveWorkersRunning). */
  #leaving = false;
  readonly #left: string[] = [];

  constructor(clients: KubernetesClients, options: KubernetesExecutorOptions, logger: Logger) {
    this.#clients = clients;
    this.#options = options;
    this.#logger = logger;
  }

  /**
   * Starts the informers and waits for their first lists (for as long as the
   * API server takes to answer: until then the server is not ready). The Jobs
   * an earlier controller left are adopted by the runs that continue, and the
   * rest removed by `deleteUnclaimedJobs`.
   */
  async start(): Promise<void> {
    const { core, batch, kc } = this.#clients;
    const namespace = this.#options.namespace;
    const enqueue = (obj: V1Pod | V1Job) => {
      const key = obj.metadata?.labels?.[labels.worker];
      if (key !== undefined) this.#queue.add(key);
    };
    const resyncAll = () => {
      for (const key of this.#live.keys()) this.#queue.add(key);
    };
    this.#jobs = startInformer<V1Job>(
      kc,
      {
        kind: "Job",
        path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
        labelSelector: managedSelector,
        list: () => batch.listNamespacedJob({ namespace, labelSelector: managedSelector }),
      },
      { onChange: enqueue, onResync: resyncAll },
      this.#logger,
    );
    this.#pods = startInformer<V1Pod>(
      kc,
      {
        kind: "Pod",
        path: `/api/v1/namespaces/${namespace}/pods`,
        labelSelector: managedSelector,
        list: () => core.listNamespacedPod({ namespace, labelSelector: managedSelector }),
      },
      { onChange: enqueue, onResync: resyncAll },
      this.#logger,
    );
    await Promise.all([this.#jobs.firstSync, this.#pods.firstSync]);
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
    const jobs = (this.#jobs?.cache.list(namespace) ?? []).filter((job) => {
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
    const namespace = this.#options.namespace;
    const jobs = (this.#jobs?.cache.list(namespace) ?? []).filter(
      (job) =>
        job.metadata?.labels?.[labels.pipeline] === pipelineId &&
        !this.#live.has(job.metadata?.name ?? ""),
    );
    await Promise.all(jobs.map((job) => this.#deleteJob(job.metadata?.name ?? "")));
  }

  get ready(): boolean {
    return (this.#pods?.synced ?? false) && (this.#jobs?.synced ?? false);
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
    const made = await this.#createOrAdopt(job, spec, signal);
    if (made !== undefined) return made;
    hooks.created?.();
    return new Promise<WorkerOutcome>((resolve) => {
      const worker: LiveWorker = {
        spec,
        jobName,
        hooks,
        resolve,
        started: false,
        jobSeen: false,
        removing: undefined,
        finishing: false,
        stuckSince: undefined,
        waitingFor: "",
        podsDeleted: new Set(),
        verifying: false,
        stuckTimer: undefined,
        logs: undefined,
      };
      this.#live.set(jobName, worker);
      const stop = () => {
        if (worker.finishing || worker.removing !== undefined) return;
        if (this.#leaving) this.#leave(worker, abortReason(signal));
        else this.#remove(worker, stoppedBy(signal));
      };
      signal.addEventListener("abort", stop, { once: true });
      // Aborted while its Job was being created: the listener came too late to hear it.
      if (signal.aborted) stop();
      this.#queue.add(jobName);
    });
  }

  /**
   * Makes the worker's Job, or adopts the one an earlier controller made (found in the cache, or
   * by the create's AlreadyExists), after checking it is that worker's. A worker the earlier
   * controller had made whose Job is gone fails: its Job vanished while no controller ran, and
   * making it again would run its command twice. Returns an outcome only when it cannot go on.
   */
  async #createOrAdopt(
    job: V1Job,
    spec: WorkerSpec,
    signal: AbortSignal,
  ): Promise<WorkerOutcome | undefined> {
    const namespace = this.#options.namespace;
    const name = job.metadata?.name ?? "";
    let existing = this.#jobs?.cache.get(name, namespace);
    if (existing === undefined && spec.recovered?.created === true) {
      // The cache may lag a Job made just before the restart: ask the API before failing it.
      existing = await this.#readJob(name);
      if (existing === undefined) {
        return {
          phase: "failed",
          reason: `its Job ${name} was deleted while no controller was running`,
        };
      }
    }
    if (existing === undefined) {
      const created = await createJob(this.#clients.batch, namespace, job, signal);
      if (created === undefined) {
        // A crash here leaves a Job nobody has recorded: the next controller must adopt it.
        this.#options.faults?.hit("after-job-create", name);
        this.#logger.debug("jobCreated", { job: name, workerId: spec.workerId });
        return undefined;
      }
      if (created !== "exists") return created;
      existing = await this.#readJob(name);
      if (existing === undefined)
        return { phase: "failed", reason: `job ${name} changed while being made` };
    }
    const refused = adoptionRefusal(existing, spec.workerId);
    if (refused !== undefined) return { phase: "failed", reason: refused };
    this.#logger.info("jobAdopted", { job: name, workerId: spec.workerId });
    return undefined;
  }

  async #readJob(name: string): Promise<V1Job | undefined> {
    try {
      return await this.#clients.batch.readNamespacedJob({
        name,
        namespace: this.#options.namespace,
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw classifyKubernetesError(error, `reading job ${name}`);
    }
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
    const pending = [...this.#live.values()];
    for (const worker of pending) {
      if (worker.removing !== undefined || worker.finishing) continue;
      if (this.#leaving) this.#leave(worker, "executor closing");
      else this.#remove(worker, { phase: "stopped", reason: "executor closing" });
    }
    if (this.#left.length > 0) {
      this.#logger.info("workersLeftRunning", {
        namespace: this.#options.namespace,
        jobs: this.#left,
        count: this.#left.length,
      });
    }
    await Promise.allSettled([this.#pods?.stop(), this.#jobs?.stop()]);
  }

  /** Stops following a worker and reports it stopped, leaving its Job (and pod) as they are. */
  #leave(worker: LiveWorker, reason: string): void {
    worker.finishing = true;
    clearTimeout(worker.stuckTimer);
    worker.logs?.close();
    this.#left.push(worker.jobName);
    this.#resolve(worker, {
      phase: "stopped",
      reason: `${reason}; its Job is left running`,
      leftRunning: true,
    });
  }

  #podsOf(jobName: string): V1Pod[] {
    return (this.#pods?.cache.list(this.#options.namespace) ?? []).filter(
      (p) => p.metadata?.labels?.[labels.worker] === jobName,
    );
  }

  #podOf(jobName: string): V1Pod | undefined {
    return this.#podsOf(jobName).sort((a, b) => stamp(b) - stamp(a))[0];
  }

  #reconcile(jobName: string): void {
    const worker = this.#live.get(jobName);
    if (worker === undefined || worker.finishing) return;
    const job = this.#jobs?.cache.get(jobName, this.#options.namespace);
    const pod = this.#podOf(jobName);
    if (job !== undefined) worker.jobSeen = true;

    if (worker.removing !== undefined) {
      this.#reconcileRemoval(worker, job);
      return;
    }
    if (pod === undefined) {
      const failed = job?.status?.conditions?.find(
        (c) => c.type === "Failed" && c.status === "True",
      );
      if (failed !== undefined) {
        this.#finish(worker, { phase: "failed", reason: failed.reason ?? "job failed" }, undefined);
      } else if (job === undefined && worker.jobSeen) {
        this.#finish(
          worker,
          { phase: "failed", reason: "job deleted outside Ottoscaler" },
          undefined,
        );
      }
      return;
    }
    const state = podState(pod);
    switch (state.kind) {
      case "pending":
        this.#checkStuck(worker, state.stuck);
        return;
      case "running":
        this.#clearStuck(worker);
        this.#markStarted(worker, pod);
        return;
      case "exited":
        this.#markStarted(worker, pod);
        this.#finish(
          worker,
          state.exitCode === 0
            ? { phase: "succeeded", exitCode: 0, reason: "exit code 0" }
            : { phase: "failed", exitCode: state.exitCode, reason: state.reason },
          pod,
        );
        return;
      case "failed":
        this.#finish(worker, { phase: "failed", reason: state.reason }, pod);
        return;
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
    const now = Date.now();
    if (worker.stuckSince === undefined) {
      worker.stuckSince = now;
      this.#logger.warn("podStuck", { job: worker.jobName, reason: stuck });
      worker.stuckTimer = setTimeout(
        () => this.#queue.add(worker.jobName),
        this.#options.pendingGraceMs,
      );
      return;
    }
    if (now - worker.stuckSince >= this.#options.pendingGraceMs) {
      const seconds = Math.round(this.#options.pendingGraceMs / 1000);
      this.#remove(worker, { phase: "failed", reason: `${stuck} (stuck for ${seconds}s)` });
    }
  }

  #clearStuck(worker: LiveWorker): void {
    if (worker.stuckSince === undefined) return;
    clearTimeout(worker.stuckTimer);
    worker.stuckSince = undefined;
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

  /** Deletes the worker's Job; reconcile reports `outcome` once the Job and its pod are gone. */
  #remove(worker: LiveWorker, outcome: WorkerOutcome): void {
    clearTimeout(worker.stuckTimer);
    worker.removing = outcome;
    // Orphan first, then delete the pod ourselves: a Job deleted with its pod still
    // terminating would make the 1.20 Job controller start a replacement pod, running
    // the stopped worker's command again.
    void this.#deleteJob(worker.jobName, "Orphan");
    this.#queue.add(worker.jobName);
  }

  /** Reconciles a worker being removed: Job gone first, then every pod of it. */
  #reconcileRemoval(worker: LiveWorker, job: V1Job | undefined): void {
    if (job !== undefined) return;
    const pods = this.#podsOf(worker.jobName);
    for (const pod of pods) {
      if (podState(pod).kind === "running") this.#startLogs(worker, pod);
      this.#deletePod(worker, pod);
    }
    if (pods.length > 0 || worker.verifying) return;
    // The cache may not have seen a pod the Job made just before it went: ask the API.
    worker.verifying = true;
    this.#clients.core
      .listNamespacedPod({
        namespace: this.#options.namespace,
        labelSelector: `${labels.worker}=${worker.jobName}`,
      })
      .then(
        (list) => {
          worker.verifying = false;
          if (list.items.length === 0)
            this.#finish(worker, worker.removing as WorkerOutcome, undefined);
          else for (const pod of list.items) this.#deletePod(worker, pod);
        },
        () => {
          worker.verifying = false;
          this.#queue.retry(worker.jobName);
        },
      );
  }

  #deletePod(worker: LiveWorker, pod: V1Pod): void {
    const name = pod.metadata?.name;
    if (name === undefined || worker.podsDeleted.has(name)) return;
    worker.podsDeleted.add(name);
    // A container that never started has nothing to stop gracefully.
    const grace = worker.started ? Math.ceil(this.#options.stopGraceMs / 1000) : 0;
    this.#clients.core
      .deleteNamespacedPod({ name, namespace: this.#options.namespace, gracePeriodSeconds: grace })
      .catch((error: unknown) => {
        if (isNotFound(error)) return;
        this.#logger.warn("jobDeleteFailed", { pod: name, error: String(error) });
        worker.podsDeleted.delete(name);
        this.#queue.retry(worker.jobName);
      });
  }

  /** Captures the whole log, then lets the Job go, then reports the outcome. */
  #finish(worker: LiveWorker, outcome: WorkerOutcome, pod: V1Pod | undefined): void {
    worker.finishing = true;
    clearTimeout(worker.stuckTimer);
    void (async () => {
      if (worker.logs !== undefined && pod !== undefined) {
        try {
          await worker.logs.complete();
        } catch (error) {
          this.#logger.warn("logCaptureFailed", { job: worker.jobName, error: String(error) });
        }
      }
      worker.logs?.close();
      // Its pod has ended and its log is in. A pipeline's Job stays until the pipeline's end is
      // recorded (releaseOwner), so a controller restarted before then can read the result;
      // a task's goes now.
      if (worker.removing === undefined && worker.spec.pipelineId === undefined)
        void this.#deleteJob(worker.jobName);
      this.#resolve(worker, outcome);
    })();
  }

  #resolve(worker: LiveWorker, outcome: WorkerOutcome): void {
    this.#live.delete(worker.jobName);
    this.#queue.forget(worker.jobName);
    worker.resolve(outcome);
  }

  async #deleteJob(
    name: string,
    propagationPolicy: "Orphan" | "Background" = "Background",
  ): Promise<void> {
    try {
      await this.#clients.batch.deleteNamespacedJob({
        name,
        namespace: this.#options.namespace,
        propagationPolicy,
      });
    } catch (error) {
      if (isNotFound(error)) return;
      this.#logger.warn("jobDeleteFailed", { job: name, error: String(error) });
      // Only a worker being stopped needs its Job gone before it can end: try again for it.
      setTimeout(() => {
        const worker = this.#live.get(name);
        if (worker?.removing !== undefined) void this.#deleteJob(name, "Orphan");
      }, this.#queue.retryDelay(name)).unref();
    }
  }
}

function stamp(pod: V1Pod): number {
  const t = pod.metadata?.creationTimestamp;
  return t === undefined ? 0 : new Date(t).getTime();
}

import type { V1Job, V1Pod } from "@kubernetes/client-node";
import type { KubernetesClients } from "../../k8s/client.ts";
import { type RunningInformer, startInformer } from "../../k8s/informer.ts";
import { labels, managedSelector } from "../../k8s/labels.ts";
import type { Logger } from "../../observability/logger.ts";
import type { Metrics } from "../../observability/metrics.ts";

/**
 * The executor's view of its namespace: one informer for the Jobs and one for
 * the pods it labelled. Every change is handed on as the worker key it
 * concerns (its Job's name), for the work queue; reads come from the caches.
 */
export class WorkerCaches {
  readonly #namespace: string;
  readonly #jobs: RunningInformer<V1Job>;
  readonly #pods: RunningInformer<V1Pod>;

  /**
   * @param changed told the worker key of every Job or pod added, changed or deleted
   * @param resynced told when a watch (re)connected and events may have been missed
   */
  constructor(
    clients: KubernetesClients,
    namespace: string,
    handlers: { changed: (key: string) => void; resynced: () => void },
    logger: Logger,
    metrics?: Pick<Metrics, "informerRelists" | "watchRestarts">,
  ) {
    const { core, batch, kc } = clients;
    this.#namespace = namespace;
    const onChange = (obj: V1Pod | V1Job) => {
      const key = obj.metadata?.labels?.[labels.worker];
      if (key !== undefined) handlers.changed(key);
    };
    // Every list is a relist (the first included); every connection after the first, a restart.
    const watched = (resource: string) => {
      let connected = false;
      return {
        onChange,
        onResync: () => {
          if (connected) metrics?.watchRestarts.inc({ resource });
          connected = true;
          handlers.resynced();
        },
        listed: () => metrics?.informerRelists.inc({ resource }),
      };
    };
    const jobs = watched("jobs");
    const pods = watched("pods");
    this.#jobs = startInformer<V1Job>(
      kc,
      {
        kind: "Job",
        path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
        labelSelector: managedSelector,
        list: () => {
          jobs.listed();
          return batch.listNamespacedJob({ namespace, labelSelector: managedSelector });
        },
      },
      jobs,
      logger,
    );
    this.#pods = startInformer<V1Pod>(
      kc,
      {
        kind: "Pod",
        path: `/api/v1/namespaces/${namespace}/pods`,
        labelSelector: managedSelector,
        list: () => {
          pods.listed();
          return core.listNamespacedPod({ namespace, labelSelector: managedSelector });
        },
      },
      pods,
      logger,
    );
  }

  /** Resolves once both caches hold a first list. */
  get firstSync(): Promise<void> {
    return Promise.all([this.#jobs.firstSync, this.#pods.firstSync]).then(() => {});
  }

  get synced(): boolean {
    return this.#jobs.synced && this.#pods.synced;
  }

  job(name: string): V1Job | undefined {
    return this.#jobs.cache.get(name, this.#namespace);
  }

  jobs(): readonly V1Job[] {
    return this.#jobs.cache.list(this.#namespace);
  }

  podsOf(jobName: string): V1Pod[] {
    return this.#pods.cache
      .list(this.#namespace)
      .filter((p) => p.metadata?.labels?.[labels.worker] === jobName);
  }

  /** The newest pod of a worker's Job (a Job of ours makes one, but a deleted one may linger). */
  podOf(jobName: string): V1Pod | undefined {
    return this.podsOf(jobName).sort((a, b) => stamp(b) - stamp(a))[0];
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.#pods.stop(), this.#jobs.stop()]);
  }
}

function stamp(pod: V1Pod): number {
  const t = pod.metadata?.creationTimestamp;
  return t === undefined ? 0 : new Date(t).getTime();
}

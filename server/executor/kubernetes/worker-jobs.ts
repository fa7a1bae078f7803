import type { V1Job, V1Pod } from "@kubernetes/client-node";
import type { KubernetesClients } from "../../k8s/client.ts";
import { classifyKubernetesError, isNotFound } from "../../k8s/errors.ts";
import { labels } from "../../k8s/labels.ts";
import type { Metrics } from "../../observability/metrics.ts";

export type JobCallMetrics = Pick<Metrics, "jobCallSeconds" | "jobCallErrors">;

/**
 * The API calls the executor makes on worker Jobs and their pods, in one
 * namespace: each throws a classified KubernetesError, and a delete of
 * something already gone is no error.
 */
export class WorkerJobsApi {
  readonly #clients: KubernetesClients;
  readonly #namespace: string;
  readonly #metrics: JobCallMetrics | undefined;

  constructor(clients: KubernetesClients, namespace: string, metrics?: JobCallMetrics) {
    this.#clients = clients;
    this.#namespace = namespace;
    this.#metrics = metrics;
  }

  /** Times a Job call; a failure is counted by its class (transient, conflict, …). */
  async #timed<T>(verb: "create" | "delete", call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } catch (error) {
      const reason = classifyKubernetesError(error, "").class;
      if (reason !== "not-found") this.#metrics?.jobCallErrors.inc({ verb, reason });
      throw error;
    } finally {
      this.#metrics?.jobCallSeconds.observe({ verb }, (performance.now() - started) / 1000);
    }
  }

  /** Throws the client's own error: the caller classifies it (a conflict means something there). */
  async create(job: V1Job): Promise<void> {
    await this.#timed("create", () =>
      this.#clients.batch.createNamespacedJob({ namespace: this.#namespace, body: job }),
    );
  }

  async read(name: string): Promise<V1Job | undefined> {
    try {
      return await this.#clients.batch.readNamespacedJob({ name, namespace: this.#namespace });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw classifyKubernetesError(error, `reading job ${name}`);
    }
  }

  async delete(name: string, propagationPolicy: "Orphan" | "Background"): Promise<void> {
    try {
      await this.#timed("delete", () =>
        this.#clients.batch.deleteNamespacedJob({
          name,
          namespace: this.#namespace,
          propagationPolicy,
        }),
      );
    } catch (error) {
      if (isNotFound(error)) return;
      throw classifyKubernetesError(error, `deleting job ${name}`);
    }
  }

  async deletePod(name: string, gracePeriodSeconds: number): Promise<void> {
    try {
      await this.#clients.core.deleteNamespacedPod({
        name,
        namespace: this.#namespace,
        gracePeriodSeconds,
      });
    } catch (error) {
      if (isNotFound(error)) return;
      throw classifyKubernetesError(error, `deleting pod ${name}`);
    }
  }

  /** The pods of a worker's Job as the API has them now (the cache may lag). */
  async podsOf(jobName: string): Promise<V1Pod[]> {
    try {
      const list = await this.#clients.core.listNamespacedPod({
        namespace: this.#namespace,
        labelSelector: `${labels.worker}=${jobName}`,
      });
      return list.items;
    } catch (error) {
      throw classifyKubernetesError(error, `listing the pods of job ${jobName}`);
    }
  }
}

import type { BatchV1Api, V1Job } from "@kubernetes/client-node";
import { classifyKubernetesError } from "../../k8s/errors.ts";
import { Backoff } from "../../util/backoff.ts";
import { sleep } from "../../util/sleep.ts";
import type { WorkerOutcome } from "../executor.ts";
import { stoppedBy } from "../executor.ts";

/**
 * Creates a worker's Job, riding out an API server that is briefly away: only
 * an error that says the Job itself is wrong fails the worker. Returns an
 * outcome only when the worker cannot go on.
 */
export async function createJob(
  batch: BatchV1Api,
  namespace: string,
  job: V1Job,
  signal: AbortSignal,
): Promise<WorkerOutcome | undefined> {
  const name = job.metadata?.name ?? "";
  const retries = new Backoff({ initialMs: 200, maxMs: 3000 });
  for (;;) {
    try {
      await batch.createNamespacedJob({ namespace, body: job });
      return undefined;
    } catch (cause) {
      const error = classifyKubernetesError(cause, `creating job ${name}`);
      // A lost response to a create that worked: the Job is ours.
      if (error.class === "conflict" && retries.failures > 0) return undefined;
      // A just-restarted API server denies everything until its RBAC caches fill.
      const transient =
        (error.class === "transient" && retries.failures < 30) ||
        (error.class === "forbidden" && retries.failures < 5);
      if (!transient) return { phase: "failed", reason: error.message };
      if (!(await sleep(retries.next(), signal))) {
        return stoppedBy(signal);
      }
    }
  }
}

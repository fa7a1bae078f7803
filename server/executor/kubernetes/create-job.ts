import type { BatchV1Api, V1Job } from "@kubernetes/client-node";
import { classifyKubernetesError } from "../../k8s/errors.ts";
import { Backoff } from "../../util/backoff.ts";
import { sleep } from "../../util/sleep.ts";
import type { WorkerOutcome } from "../executor.ts";
import { stoppedBy } from "../executor.ts";

/**
 * Creates a worker's Job, riding out an API server that is briefly away: only
 * an error that says the Job itself is wrong fails the worker. Returns
 * "exists" when a Job of that name was there before this call (for the caller
 * to adopt or refuse), an outcome when the worker cannot go on, else nothing.
 */
export async function createJob(
  batch: BatchV1Api,
  namespace: string,
  job: V1Job,
  signal: AbortSignal,
): Promise<WorkerOutcome | "exists" | undefined> {
  const name = job.metadata?.name ?? "";
  const retries = new Backoff({ initialMs: 200, maxMs: 3000 });
  for (;;) {
    try {
      await batch.createNamespacedJob({ namespace, body: job });
      return undefined;
    } catch (cause) {
      const error = classifyKubernetesError(cause, `creating job ${name}`);
      // A lost response to a create that worked: the Job is ours.
      if (error.class === "conflict") return retries.failures > 0 ? undefined : "exists";
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

import { Code } from "@connectrpc/connect";
import type { BatchV1Api, V1Job } from "@kubernetes/client-node";
import { kubernetesErrorToConnect } from "../../k8s/errors.ts";
import { abortReason } from "../../util/abort-reason.ts";
import { sleep } from "../../util/sleep.ts";
import type { WorkerOutcome } from "../executor.ts";

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
  for (let attempt = 0; ; attempt++) {
    try {
      await batch.createNamespacedJob({ namespace, body: job });
      return undefined;
    } catch (error) {
      const connectError = kubernetesErrorToConnect(error, `creating job ${name}`);
      // A lost response to a create that worked: the Job is ours.
      if (connectError.code === Code.AlreadyExists && attempt > 0) return undefined;
      // A just-restarted API server denies everything until its RBAC caches fill.
      const transient =
        (connectError.code === Code.Unavailable && attempt < 30) ||
        (connectError.code === Code.PermissionDenied && attempt < 5);
      if (!transient) return { phase: "failed", reason: connectError.rawMessage };
      if (!(await sleep(Math.min(200 * 2 ** attempt, 3000), signal))) {
        return {
          phase: "stopped",
          reason: abortReason(signal),
        };
      }
    }
  }
}

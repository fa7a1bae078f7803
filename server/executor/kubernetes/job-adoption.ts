import type { V1Job } from "@kubernetes/client-node";
import { kubernetesNameOf } from "../../domain/worker-id.ts";
import { annotations, labels, managedBy } from "../../k8s/labels.ts";

/**
 * Why a Job found under a worker's name cannot be taken as that worker's, or
 * undefined when it can: it must be ours, for that worker, and not being deleted.
 */
export function adoptionRefusal(job: V1Job, workerId: string): string | undefined {
  const name = kubernetesNameOf(workerId);
  const meta = job.metadata;
  if (meta?.labels?.[labels.managedBy] !== managedBy || meta.labels[labels.worker] !== name) {
    return `job ${name} exists and is not an Ottoscaler worker's`;
  }
  const owner = meta.annotations?.[annotations.workerId];
  if (owner !== workerId) {
    return `job ${name} exists for another worker (${owner ?? "unknown"})`;
  }
  if (meta.deletionTimestamp !== undefined) return `job ${name} is being deleted`;
  return undefined;
}

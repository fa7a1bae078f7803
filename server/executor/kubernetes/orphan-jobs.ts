import type { BatchV1Api, V1Job } from "@kubernetes/client-node";
import { isNotFound } from "../../k8s/errors.ts";
import { annotations, labels } from "../../k8s/labels.ts";
import type { Logger } from "../../observability/logger.ts";

/**
 * At start-up no pipeline or task of this process exists yet, so every Job
 * we labelled belongs to an earlier controller process: delete them all,
 * their pods with them, and say what went.
 */
export async function deleteOrphanJobs(
  batch: BatchV1Api,
  namespace: string,
  jobs: readonly V1Job[],
  logger: Logger,
): Promise<string[]> {
  const removed: string[] = [];
  for (const job of jobs) {
    const name = job.metadata?.name;
    if (name === undefined) continue;
    try {
      await batch.deleteNamespacedJob({ name, namespace, propagationPolicy: "Background" });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    removed.push(name);
    logger.info("orphanJobDeleted", {
      job: name,
      workerId: job.metadata?.annotations?.[annotations.workerId],
      pipelineId: job.metadata?.labels?.[labels.pipeline],
      taskId: job.metadata?.labels?.[labels.task],
      controller: job.metadata?.annotations?.[annotations.controller],
    });
  }
  return removed;
}

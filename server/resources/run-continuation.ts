import type { Limits } from "../api/validate.ts";
import type { PipelineEngine, PipelineRunStore } from "../engine/pipeline-engine.ts";
import {
  isFinalPhase,
  type PipelineRunObject,
  recordOfStatus,
} from "../k8s/pipeline-run-resource.ts";
import type { KubernetesRunStore } from "../k8s/pipeline-run-store.ts";
import type { PipelineArchive } from "../logs/pipeline-archive.ts";
import type { Logger } from "../observability/logger.ts";
import { pipelineIdOf, pipelineRequestJson, pipelineSpecOf } from "./pipeline-run-spec.ts";

/** The engine's view of the cluster's PipelineRuns: made before a run starts, then kept up to date. */
export function engineRunStore(runs: KubernetesRunStore): PipelineRunStore {
  return {
    async create(spec) {
      await runs.create(spec.pipelineId, pipelineRequestJson(spec), spec.traceparent);
    },
    requestCancel: (pipelineId, reason) => runs.requestCancel(pipelineId, reason),
    save: (pipelineId, snapshot) => runs.save(pipelineId, snapshot),
    observe: (event) => runs.observe(event),
    settled: (pipelineId) => runs.settled(pipelineId),
  };
}

/** The PipelineRuns a controller must go on with (or start: applied while none ran): not ended. */
export async function unfinishedRuns(runs: KubernetesRunStore): Promise<PipelineRunObject[]> {
  return (await runs.list()).filter((o) => !isFinalPhase(o.status?.phase));
}

export interface ContinuationDeps {
  runs: KubernetesRunStore;
  engine: PipelineEngine;
  archive: Pick<PipelineArchive, "progressSoFar">;
  limits: Limits;
  logger: Logger;
}

/**
 * Starts or continues the run of one PipelineRun that has not ended: from its
 * journal and its status when an earlier controller started it (once the
 * executor's caches are synced, so its Jobs are adopted, not made again), from
 * the beginning when none did. An invalid spec starts nothing: the status says
 * which field and why.
 */
export async function startOrContinue(
  object: PipelineRunObject,
  deps: ContinuationDeps,
): Promise<void> {
  const pipelineId = pipelineIdOf(object);
  if (deps.engine.isRunning(pipelineId)) return;
  let spec: ReturnType<typeof pipelineSpecOf>;
  try {
    spec = pipelineSpecOf(object, deps.limits);
  } catch (error) {
    // The API's validation speaks ConnectError: its raw message names the field and the reason.
    const message =
      error instanceof Error
        ? "rawMessage" in error
          ? String(error.rawMessage)
          : error.message
        : String(error);
    deps.logger.warn("runNotContinued", { pipelineId, error: message });
    await deps.runs.markInvalid(pipelineId, object, message);
    return;
  }
  const soFar = await deps.archive.progressSoFar(pipelineId);
  await deps.runs.adopt(pipelineId, object);
  deps.engine.resume(spec, {
    events: soFar?.events ?? [],
    createdAt: soFar?.createdAt,
    logEntries: soFar?.logEntries ?? 0,
    record: recordOfStatus(object.status),
    linesPerWorker: soFar?.linesPerWorker ?? new Map(),
  });
}

import { type PipelineProgress, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { isFinal } from "../domain/pipeline-status.ts";
import type { AttemptRecord, RunRecord } from "../domain/run-record.ts";

/** Where one stage had got to when its controller stopped. */
export interface RestoredStage {
  status: PipelineStatus;
  attempt: number;
  /** When its last event happened (ms since the epoch): a retry's wait counts from it. */
  lastEventAt: number;
  attempts: AttemptRecord[];
}

export interface RestoredRun {
  /** The pipeline's own status: QUEUED until it had started its stages. */
  status: PipelineStatus;
  /** When it started running (ms since the epoch), if its journal says. */
  startedAt?: number;
  stages: Map<string, RestoredStage>;
}

function rank(stage: { status: PipelineStatus; attempt: number }): number {
  // Later attempts are further on; within one attempt a final status is furthest.
  const order = isFinal(stage.status) ? 3 : stage.status === PipelineStatus.RETRYING ? 2 : 1;
  return stage.attempt * 4 + order;
}

/**
 * A run's state rebuilt from its journal's events, then from its durable
 * record where that is further on (the journal's last writes may not have
 * reached the disk when the controller was killed).
 */
export function restoreRun(
  stageIds: readonly string[],
  events: readonly PipelineProgress[],
  record: RunRecord | undefined,
): RestoredRun {
  const stages = new Map<string, RestoredStage>(
    stageIds.map((id) => [
      id,
      { status: PipelineStatus.UNSPECIFIED, attempt: 0, lastEventAt: 0, attempts: [] },
    ]),
  );
  let status = PipelineStatus.QUEUED;
  let startedAt: number | undefined;
  for (const event of events) {
    const at =
      event.timestamp === undefined
        ? 0
        : Number(event.timestamp.seconds) * 1000 + event.timestamp.nanos / 1e6;
    if (event.stageId === "") {
      status = event.status;
      if (status === PipelineStatus.RUNNING) startedAt ??= at;
      continue;
    }
    const stage = stages.get(event.stageId);
    if (stage === undefined) continue;
    stage.status = event.status;
    stage.attempt = event.attempt;
    stage.lastEventAt = at;
  }
  for (const stored of record?.stages ?? []) {
    const stage = stages.get(stored.id);
    if (stage === undefined) continue;
    stage.attempts = stored.attempts.map((a) => ({ ...a, created: [...a.created] }));
    if (rank(stored) > rank(stage)) {
      stage.status = stored.status;
      stage.attempt = stored.attempt;
      stage.lastEventAt = Date.now();
    }
  }
  // The record may know it had started when the journal's last writes were lost.
  if (record?.status === PipelineStatus.RUNNING && status === PipelineStatus.QUEUED) {
    status = PipelineStatus.RUNNING;
  }
  return { status, ...(startedAt !== undefined && { startedAt }), stages };
}

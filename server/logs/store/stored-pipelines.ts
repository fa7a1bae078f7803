import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { JournalRecordSchema } from "../../../gen/ottoscaler/store/v1/journal_pb.js";
import {
  PipelineProgressSchema,
  PipelineStatus,
  type PipelineSummary,
  PipelineSummarySchema,
} from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { isFinal } from "../../domain/pipeline-status.ts";
import type { Logger } from "../../observability/logger.ts";
import type { BuildJournal } from "./build-journal.ts";
import type { BuildStore } from "./build-store.ts";
import { readJournalProgress } from "./journal-reads.ts";

/** The summary a journal was sealed with, or what its header and last event say. */
export function summaryOf(journal: BuildJournal): PipelineSummary {
  if (journal.summary !== undefined) return journal.summary;
  const { header, lastProgress } = journal.state;
  return create(PipelineSummarySchema, {
    pipelineId: journal.id,
    name: header?.name ?? journal.id,
    status: lastProgress?.status ?? PipelineStatus.UNSPECIFIED,
    completedStages: lastProgress?.completedStages ?? 0,
    totalStages: header?.stageIds.length ?? 0,
    ...(header?.createdAt !== undefined && { createdAt: header.createdAt }),
    ...(lastProgress?.timestamp !== undefined &&
      isFinal(lastProgress.status) && { finishedAt: lastProgress.timestamp }),
    stages: (header?.stageIds ?? []).map((id) => ({ id, status: PipelineStatus.QUEUED })),
  });
}

/** Replays a journal's events into a summary with every stage's last state. */
async function replaySummary(journal: BuildJournal): Promise<PipelineSummary> {
  const summary = summaryOf(journal);
  const stages = new Map(summary.stages.map((stage) => [stage.id, stage]));
  for await (const event of readJournalProgress(journal)) {
    const stage = stages.get(event.stageId);
    if (stage !== undefined) {
      stage.status = event.status;
      stage.attempt = event.attempt;
    }
  }
  return summary;
}

/**
 * Pipelines whose controller stopped before they ended (a crash, SIGKILL)
 * cannot go on when their workers went with it (the local executor's). Each gets a final CANCELLED event
 * saying so, so that watchers, summaries and Otto-handler all see an end.
 * Sealed pipelines are left as they are.
 */
export async function finishInterruptedPipelines(
  store: BuildStore,
  logger: Logger,
  /** Pipelines another part goes on with (their runs are recorded in the cluster): left open. */
  continued: ReadonlySet<string> = new Set(),
): Promise<void> {
  for (const journal of store.list("pipeline")) {
    if (journal.summary !== undefined && isFinal(journal.summary.status)) continue;
    // Continued elsewhere, or written by a run of this process (started before this ran).
    if (continued.has(journal.id) || journal.writing) continue;
    const last = journal.state.lastProgress;
    if (last === undefined || !isFinal(last.status) || last.stageId !== "") {
      const message = "pipeline interrupted: the controller stopped while it ran";
      store.openForWriting("pipeline", journal.id);
      const event = create(PipelineProgressSchema, {
        pipelineId: journal.id,
        status: PipelineStatus.CANCELLED,
        message,
        timestamp: timestampNow(),
        completedStages: last?.completedStages ?? 0,
        totalStages: journal.state.header?.stageIds.length ?? 0,
        sequence: (last?.sequence ?? 0n) + 1n,
      });
      journal.append(create(JournalRecordSchema, { record: { case: "progress", value: event } }));
      logger.warn("pipelineInterrupted", { pipelineId: journal.id, sequence: event.sequence });
    }
    const summary = await replaySummary(journal);
    const final = journal.state.lastProgress;
    summary.status = final?.status ?? PipelineStatus.CANCELLED;
    if (final?.timestamp !== undefined) summary.finishedAt = final.timestamp;
    await journal.seal(summary);
  }
}

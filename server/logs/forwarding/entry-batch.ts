import { create, fromBinary } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import {
  type Entry,
  EntrySchema,
  LogLineSchema,
  StatusEventSchema,
  WorkerEventSchema,
} from "../../../gen/otto/handler/v1/handler_pb.js";
import { JournalRecordSchema } from "../../../gen/ottoscaler/store/v1/journal_pb.js";
import { scanJournal } from "../journal/journal-scan.ts";
import type { BuildJournal } from "../store/build-journal.ts";

export interface EntryBatch {
  entries: Entry[];
  /** ends[i]: journal offset just after entries[i]'s record. */
  ends: number[];
  /** Offset after the last record read (past records that are not entries, such as the header). */
  end: number;
  /** When the batch's first entry was recorded. */
  firstTimestamp: Timestamp | undefined;
}

export interface BatchLimits {
  maxEntries: number;
  maxBytes: number;
}

/** The next entries of a journal from `offset`, read from disk, within the limits. */
export async function readEntryBatch(
  journal: BuildJournal,
  offset: number,
  limits: BatchLimits,
  signal?: AbortSignal,
): Promise<EntryBatch> {
  const batch: EntryBatch = { entries: [], ends: [], end: offset, firstTimestamp: undefined };
  let bytes = 0;
  const taskId = journal.kind === "task" ? journal.id : "";
  const records = scanJournal(journal.path, {
    from: offset,
    until: journal.readableBytes,
    chunkBytes: Math.min(limits.maxBytes, 256 * 1024),
    ...(signal !== undefined && { signal }),
  });
  for await (const { end, payload } of records) {
    if (batch.entries.length > 0 && bytes + payload.length > limits.maxBytes) break;
    const { record } = fromBinary(JournalRecordSchema, payload);
    let entry: Entry | undefined;
    if (record.case === "log" && record.value.entry !== undefined) {
      const { pipelineId, stageId, attempt, entry: line } = record.value;
      batch.firstTimestamp ??= line.timestamp;
      entry = create(EntrySchema, {
        kind: {
          case: "log",
          value: create(LogLineSchema, {
            workerId: line.workerId,
            sequence: line.sequence,
            line: line.line,
            stream: line.stream,
            ...(line.timestamp !== undefined && { timestamp: line.timestamp }),
            pipelineId,
            stageId,
            attempt,
            taskId,
          }),
        },
      });
    } else if (record.case === "progress") {
      batch.firstTimestamp ??= record.value.timestamp;
      entry = create(EntrySchema, {
        kind: {
          case: "status",
          value: create(StatusEventSchema, {
            pipelineId: record.value.pipelineId,
            sequence: record.value.sequence,
            progress: record.value,
          }),
        },
      });
    } else if (record.case === "worker") {
      const { sequence, recordedAt, worker } = record.value;
      batch.firstTimestamp ??= recordedAt;
      entry = create(EntrySchema, {
        kind: {
          case: "worker",
          value: create(WorkerEventSchema, {
            taskId,
            sequence,
            ...(recordedAt !== undefined && { timestamp: recordedAt }),
            ...(worker !== undefined && { worker }),
          }),
        },
      });
    }
    batch.end = end;
    if (entry === undefined) continue;
    batch.entries.push(entry);
    batch.ends.push(end);
    bytes += payload.length;
    if (batch.entries.length >= limits.maxEntries) break;
  }
  return batch;
}

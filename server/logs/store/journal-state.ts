import { fromBinary } from "@bufbuild/protobuf";
import {
  type JournalHeader,
  type JournalRecord,
  JournalRecordSchema,
} from "../../../gen/ottoscaler/store/v1/journal_pb.js";
import type { PipelineProgress } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { RecordKind, recordKindOf } from "../journal/record-kind.ts";

/** Every this many log records, the journal remembers where one starts. */
export const logIndexStride = 1024;

/** What is known of a journal without reading it again. */
export interface JournalState {
  /** Length of the good part of the file. */
  bytes: number;
  records: number;
  /** Log lines, status events and task worker events: what is forwarded. */
  entries: number;
  logEntries: number;
  /** Task worker status changes, numbered from 1: the last one's sequence. */
  workerEvents: number;
  /** logIndex[i] is the offset of log record number i × logIndexStride. */
  logIndex: number[];
  /** Where the last record starts (-1 with none): checked on start to trust a sealed journal. */
  lastRecordOffset: number;
  header: JournalHeader | undefined;
  lastProgress: PipelineProgress | undefined;
  /** Highest worker index in the journal (tasks: ScaleUp continues after it). */
  maxWorkerIndex: number;
}

export function emptyJournalState(): JournalState {
  return {
    bytes: 0,
    records: 0,
    entries: 0,
    logEntries: 0,
    workerEvents: 0,
    logIndex: [],
    lastRecordOffset: -1,
    header: undefined,
    lastProgress: undefined,
    maxWorkerIndex: -1,
  };
}

const workerIndexPattern = /\.w(\d+)$/;

/**
 * Counts one record into the state. `record` is the decoded record when the
 * caller has it; otherwise only the kinds whose content matters are decoded.
 */
export function observeRecord(
  state: JournalState,
  offset: number,
  frameBytes: number,
  payload: Uint8Array,
  options: { record?: JournalRecord; trackWorkers?: boolean } = {},
): void {
  const { record, trackWorkers = false } = options;
  const kind = recordKindOf(payload);
  state.records++;
  state.lastRecordOffset = offset;
  state.bytes = offset + frameBytes;
  if (kind === RecordKind.log) {
    if (state.logEntries % logIndexStride === 0) state.logIndex.push(offset);
    state.logEntries++;
    state.entries++;
    if (!trackWorkers) return;
    const decoded = record ?? fromBinary(JournalRecordSchema, payload);
    if (decoded.record.case === "log") observeWorkerId(state, decoded.record.value.entry?.workerId);
  } else if (kind === RecordKind.worker) {
    state.entries++;
    const decoded = record ?? fromBinary(JournalRecordSchema, payload);
    if (decoded.record.case === "worker") {
      // Numbered on from a removed build of the same id, so the record says where it is.
      const sequence = Number(decoded.record.value.sequence);
      state.workerEvents = Math.max(state.workerEvents, sequence);
      // A worker that printed nothing still took its index.
      observeWorkerId(state, decoded.record.value.worker?.workerId);
    }
  } else if (kind === RecordKind.progress) {
    state.entries++;
    const decoded = record ?? fromBinary(JournalRecordSchema, payload);
    if (decoded.record.case === "progress") state.lastProgress = decoded.record.value;
  } else if (kind === RecordKind.header) {
    const decoded = record ?? fromBinary(JournalRecordSchema, payload);
    if (decoded.record.case === "header") state.header = decoded.record.value;
  }
}

function observeWorkerId(state: JournalState, workerId: string | undefined): void {
  const match = workerIndexPattern.exec(workerId ?? "");
  if (match !== null) state.maxWorkerIndex = Math.max(state.maxWorkerIndex, Number(match[1]));
}

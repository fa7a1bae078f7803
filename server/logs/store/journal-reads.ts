import { fromBinary } from "@bufbuild/protobuf";
import { JournalRecordSchema } from "../../../gen/ottoscaler/store/v1/journal_pb.js";
import type { BuildLogEntry } from "../../../gen/ottoscaler/v1/log_streaming_pb.js";
import type { PipelineProgress } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import type { WorkerStatus } from "../../../gen/ottoscaler/v1/worker_pb.js";
import { type ScanDamage, scanJournal } from "../journal/journal-scan.ts";
import { RecordKind, recordKindOf } from "../journal/record-kind.ts";
import type { BuildJournal } from "./build-journal.ts";
import { logIndexStride } from "./journal-state.ts";

export interface LogRange {
  /** Log record numbers, from 0 in the journal: [from, until). */
  from?: number;
  until?: number;
  /** Only this worker's lines, with sequence in [fromSequence, untilSequence). */
  workerId?: string;
  fromSequence?: number;
  untilSequence?: number;
  signal?: AbortSignal;
  onDamage?: (damage: ScanDamage) => void;
}

/**
 * A journal's log lines, read from disk a chunk at a time. Starts near `from`
 * thanks to the journal's sparse index, so reading a recent range of a large
 * build does not read all of it.
 */
export async function* readJournalLog(
  journal: BuildJournal,
  range: LogRange = {},
): AsyncGenerator<BuildLogEntry, void, undefined> {
  journal.flush();
  const from = range.from ?? 0;
  const until = range.until ?? Number.POSITIVE_INFINITY;
  const fromSequence = BigInt(range.fromSequence ?? 0);
  const untilSequence = range.untilSequence === undefined ? undefined : BigInt(range.untilSequence);
  const slot = Math.min(Math.floor(from / logIndexStride), journal.state.logIndex.length - 1);
  let number = slot >= 0 ? slot * logIndexStride : 0;
  const records = scanJournal(journal.path, {
    from: slot >= 0 ? (journal.state.logIndex[slot] ?? 0) : 0,
    until: journal.readableBytes,
    ...(range.signal !== undefined && { signal: range.signal }),
    ...(range.onDamage !== undefined && { onDamage: range.onDamage }),
  });
  for await (const { payload } of records) {
    if (recordKindOf(payload) !== RecordKind.log) continue;
    const current = number++;
    if (current < from) continue;
    if (current >= until) return;
    const record = fromBinary(JournalRecordSchema, payload);
    if (record.record.case !== "log") continue;
    const entry = record.record.value;
    if (range.workerId !== undefined) {
      if (entry.entry?.workerId !== range.workerId) continue;
      const sequence = entry.entry.sequence;
      if (sequence < fromSequence) continue;
      if (untilSequence !== undefined && sequence >= untilSequence) return;
    }
    yield entry;
  }
}

/** A journal's status events, in order. */
export async function* readJournalProgress(
  journal: BuildJournal,
  signal?: AbortSignal,
): AsyncGenerator<PipelineProgress, void, undefined> {
  journal.flush();
  const records = scanJournal(journal.path, {
    until: journal.readableBytes,
    ...(signal !== undefined && { signal }),
  });
  for await (const { payload } of records) {
    if (recordKindOf(payload) !== RecordKind.progress) continue;
    const record = fromBinary(JournalRecordSchema, payload);
    if (record.record.case === "progress") yield record.record.value;
  }
}

/** What a controller continuing a build needs of its journal, read in one pass. */
export interface JournalSoFar {
  /** Its status events, in order (a pipeline's). */
  progress: PipelineProgress[];
  /** Each worker's last recorded status (a task's). */
  workers: Map<string, WorkerStatus>;
  /** How many lines each worker has recorded: the sequence of its last. */
  linesPerWorker: Map<string, number>;
}

export async function readJournalSoFar(journal: BuildJournal): Promise<JournalSoFar> {
  journal.flush();
  const soFar: JournalSoFar = { progress: [], workers: new Map(), linesPerWorker: new Map() };
  for await (const { payload } of scanJournal(journal.path, { until: journal.readableBytes })) {
    const kind = recordKindOf(payload);
    if (kind !== RecordKind.progress && kind !== RecordKind.worker && kind !== RecordKind.log)
      continue;
    const { record } = fromBinary(JournalRecordSchema, payload);
    if (record.case === "progress") {
      soFar.progress.push(record.value);
    } else if (record.case === "worker" && record.value.worker !== undefined) {
      soFar.workers.set(record.value.worker.workerId, record.value.worker);
    } else if (record.case === "log" && record.value.entry !== undefined) {
      const { workerId, sequence } = record.value.entry;
      const lines = soFar.linesPerWorker;
      lines.set(workerId, Math.max(lines.get(workerId) ?? 0, Number(sequence)));
    }
  }
  return soFar;
}

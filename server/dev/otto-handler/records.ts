// A request's entries, checked and turned into the JSON lines the handler writes.

/** google.protobuf.Timestamp as @grpc/proto-loader gives it (longs as strings). */
interface PlainTimestamp {
  seconds?: string | number;
  nanos?: number;
}

interface PlainLogLine {
  workerId?: string;
  sequence?: string | number;
  line?: string;
  stream?: string | number;
  timestamp?: PlainTimestamp | null;
  pipelineId?: string;
  stageId?: string;
  attempt?: number;
  taskId?: string;
}

interface PlainProgress {
  stageId?: string;
  status?: string | number;
  attempt?: number;
  message?: string;
  timestamp?: PlainTimestamp | null;
  workerIds?: string[];
}

interface PlainStatusEvent {
  pipelineId?: string;
  sequence?: string | number;
  progress?: PlainProgress | null;
}

interface PlainWorkerStatus {
  workerId?: string;
  taskId?: string;
  index?: number;
  phase?: string | number;
  reason?: string;
  exitCode?: number | null;
}

interface PlainWorkerEvent {
  taskId?: string;
  sequence?: string | number;
  timestamp?: PlainTimestamp | null;
  worker?: PlainWorkerStatus | null;
}

export interface PlainEntry {
  log?: PlainLogLine | null;
  status?: PlainStatusEvent | null;
  worker?: PlainWorkerEvent | null;
}

export interface PlainRequest {
  source?: string;
  entries?: PlainEntry[];
}

export interface LogRecord {
  kind: "log";
  workerId: string;
  sequence: number;
  line: string;
  stream: string | number;
  pipelineId: string;
  stageId: string;
  attempt: number;
  taskId: string;
  timestamp: string | null;
  source: string;
}

export interface StatusRecord {
  kind: "status";
  pipelineId: string;
  sequence: number;
  status: string | number;
  stageId: string;
  message: string;
  attempt: number;
  timestamp: string | null;
  workerIds: string[];
  source: string;
}

export interface WorkerRecord {
  kind: "worker";
  taskId: string;
  sequence: number;
  workerId: string;
  index: number;
  phase: string | number;
  reason: string;
  exitCode: number | null;
  timestamp: string | null;
  source: string;
}

export type EntryRecord = LogRecord | StatusRecord | WorkerRecord;

/**
 * The dedupe key's id: the worker of a log line, the pipeline of a status event, the task of
 * a worker event.
 */
export function keyId(record: EntryRecord): string {
  switch (record.kind) {
    case "log":
      return record.workerId;
    case "status":
      return record.pipelineId;
    case "worker":
      return record.taskId;
  }
}

/** Why a batch can never be stored; `field` names the entry, as in `entries[3].log.sequence`. */
export class InvalidEntryError extends Error {
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.field = field;
  }
}

/** Checks every entry and converts them all, or throws for the first invalid one. */
export function toRecords(request: PlainRequest): EntryRecord[] {
  const source = request.source ?? "";
  return (request.entries ?? []).map((entry, index) => {
    const at = `entries[${index}]`;
    if (entry.log) return logRecord(entry.log, `${at}.log`, source);
    if (entry.status) return statusRecord(entry.status, `${at}.status`, source);
    if (entry.worker) return workerRecord(entry.worker, `${at}.worker`, source);
    throw new InvalidEntryError(`${at}.kind`, "none of log, status and worker is set");
  });
}

function logRecord(log: PlainLogLine, at: string, source: string): LogRecord {
  return {
    kind: "log",
    workerId: requireId(log.workerId, `${at}.worker_id`),
    sequence: requireSequence(log.sequence, `${at}.sequence`),
    line: log.line ?? "",
    stream: log.stream ?? "LOG_STREAM_UNSPECIFIED",
    pipelineId: log.pipelineId ?? "",
    stageId: log.stageId ?? "",
    attempt: log.attempt ?? 0,
    taskId: log.taskId ?? "",
    timestamp: rfc3339(log.timestamp, `${at}.timestamp`),
    source,
  };
}

function statusRecord(event: PlainStatusEvent, at: string, source: string): StatusRecord {
  // A missing progress reads as its proto3 defaults, as any proto3 receiver would see it.
  const progress = event.progress ?? {};
  return {
    kind: "status",
    pipelineId: requireId(event.pipelineId, `${at}.pipeline_id`),
    sequence: requireSequence(event.sequence, `${at}.sequence`),
    status: progress.status ?? "PIPELINE_STATUS_UNSPECIFIED",
    stageId: progress.stageId ?? "",
    message: progress.message ?? "",
    attempt: progress.attempt ?? 0,
    timestamp: rfc3339(progress.timestamp, `${at}.progress.timestamp`),
    workerIds: progress.workerIds ?? [],
    source,
  };
}

function workerRecord(event: PlainWorkerEvent, at: string, source: string): WorkerRecord {
  const worker = event.worker ?? {};
  return {
    kind: "worker",
    taskId: requireId(event.taskId, `${at}.task_id`),
    sequence: requireSequence(event.sequence, `${at}.sequence`),
    workerId: requireId(worker.workerId, `${at}.worker.worker_id`),
    index: worker.index ?? 0,
    phase: worker.phase ?? "WORKER_PHASE_UNSPECIFIED",
    reason: worker.reason ?? "",
    exitCode: worker.exitCode ?? null,
    timestamp: rfc3339(event.timestamp, `${at}.timestamp`),
    source,
  };
}

function requireId(id: string | undefined, field: string): string {
  if (id === undefined || id === "") throw new InvalidEntryError(field, "must not be empty");
  return id;
}

function requireSequence(sequence: string | number | undefined, field: string): number {
  const value = Number(sequence ?? 0);
  if (value === 0) throw new InvalidEntryError(field, "must be at least 1");
  // The JSON lines carry it as a number, exact only up to 2^53 - 1.
  if (!Number.isSafeInteger(value)) {
    throw new InvalidEntryError(field, `${sequence} is above ${Number.MAX_SAFE_INTEGER}`);
  }
  return value;
}

/** Protobuf's JSON form of a Timestamp (0, 3, 6 or 9 fraction digits); null when unset. */
export function rfc3339(
  timestamp: PlainTimestamp | null | undefined,
  field: string,
): string | null {
  if (timestamp === null || timestamp === undefined) return null;
  const seconds = Number(timestamp.seconds ?? 0);
  const nanos = timestamp.nanos ?? 0;
  const date = new Date(seconds * 1000);
  const year = date.getUTCFullYear();
  if (
    !Number.isSafeInteger(seconds) ||
    year < 1 ||
    year > 9999 ||
    nanos < 0 ||
    nanos > 999_999_999
  ) {
    throw new InvalidEntryError(field, "outside the range of google.protobuf.Timestamp");
  }
  const digits = String(nanos).padStart(9, "0");
  const fraction =
    nanos === 0
      ? ""
      : nanos % 1_000_000 === 0
        ? `.${digits.slice(0, 3)}`
        : nanos % 1000 === 0
          ? `.${digits.slice(0, 6)}`
          : `.${digits}`;
  return `${date.toISOString().slice(0, 19)}${fraction}Z`;
}

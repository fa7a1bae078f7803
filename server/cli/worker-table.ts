import type { WorkerStatus } from "../../gen/ottoscaler/v1/worker_pb.js";
import { workerPhaseName } from "./enum-names.ts";
import { firstLine, formatDuration, formatTime, toMs } from "./format.ts";

export const workerTableHeader = [
  "WORKER",
  "OWNER",
  "ATTEMPT",
  "INDEX",
  "PHASE",
  "EXIT",
  "RUNTIME",
  "REASON",
];

/** `task T` for ScaleUp workers, `PIPELINE/STAGE` for pipeline workers. */
export function workerOwner(worker: WorkerStatus): string {
  if (worker.taskId !== "") return `task ${worker.taskId}`;
  if (worker.pipelineId !== "") return `${worker.pipelineId}/${worker.stageId}`;
  return "-";
}

function runtime(worker: WorkerStatus, nowMs: number): string {
  const started = toMs(worker.startedAt);
  if (started === undefined) return "-";
  return formatDuration((toMs(worker.finishedAt) ?? nowMs) - started);
}

export function workerRow(worker: WorkerStatus, nowMs: number): string[] {
  return [
    worker.workerId,
    workerOwner(worker),
    worker.pipelineId === "" ? "-" : String(worker.attempt),
    String(worker.index),
    workerPhaseName(worker.phase),
    worker.exitCode === undefined ? "-" : String(worker.exitCode),
    runtime(worker, nowMs),
    firstLine(worker.reason),
  ];
}

/** One line for a change of one worker, for `status --watch` into a pipe. */
export function formatWorkerLine(worker: WorkerStatus, atMs: number): string {
  const exit = worker.exitCode === undefined ? "" : `  exit ${worker.exitCode}`;
  const reason = worker.reason === "" ? "" : `  ${firstLine(worker.reason)}`;
  return `${formatTime(atMs)}  ${worker.workerId}  ${workerPhaseName(worker.phase)}  ${workerOwner(worker)}${exit}${reason}`;
}

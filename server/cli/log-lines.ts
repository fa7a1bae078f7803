import {
  type BuildLogEntry,
  type LogEntry,
  LogStream,
} from "../../gen/ottoscaler/v1/log_streaming_pb.js";

/** The text of one log line; Ottoscaler's own lines (such as dropped-line markers) are marked. */
export function logText(entry: LogEntry): string {
  const line = entry.line.replace(/\r?\n$/, "");
  return entry.stream === LogStream.SYSTEM ? `[ottoscaler] ${line}` : line;
}

/**
 * `stage/worker`. A worker id that starts with `PIPELINE.STAGE.` is shown without it
 * (`unit-test/a1.w0`); otherwise the attempt, when it is not the first, follows the stage
 * (`lint#2/worker`).
 */
export function buildLogPrefix(entry: BuildLogEntry): string {
  const workerId = entry.entry?.workerId ?? "?";
  const redundant = `${entry.pipelineId}.${entry.stageId}.`;
  if (entry.pipelineId !== "" && workerId.startsWith(redundant) && workerId !== redundant) {
    return `${entry.stageId}/${workerId.slice(redundant.length)}`;
  }
  const attempt = entry.attempt > 1 ? `#${entry.attempt}` : "";
  return `${entry.stageId}${attempt}/${workerId}`;
}

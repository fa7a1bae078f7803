import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import {
  type BuildLogEntry,
  BuildLogEntrySchema,
  type LogEntry,
  LogEntrySchema,
  LogStream,
} from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import type { LogHub } from "./log-hub.ts";
import type { BuildJournal } from "./store/build-journal.ts";
import type { BuildStore } from "./store/build-store.ts";
import { readJournalLog } from "./store/journal-reads.ts";

export interface LogReadOptions {
  follow: boolean;
  signal: AbortSignal;
}

/** Says, in the stream itself, that lines are missing (lost to a disk error or to retention). */
export function missingMarker(workerId: string, missing: number): LogEntry {
  return create(LogEntrySchema, {
    workerId,
    line: `[ottoscaler] ${missing} line(s) missing: no longer stored`,
    stream: LogStream.SYSTEM,
    timestamp: timestampNow(),
    droppedLines: BigInt(missing),
  });
}

/** The journal a worker's lines are in, from the shape of its id (see workerIdOf, TaskManager). */
export function journalOfWorker(store: BuildStore, workerId: string): BuildJournal | undefined {
  const parts = workerId.split(".");
  const owner = parts[0] ?? "";
  if (parts.length === 4) return store.get("pipeline", owner);
  if (parts.length === 2) return store.get("task", owner);
  return undefined;
}

/**
 * A worker's whole log, then (with follow) its new lines until it ends: from
 * the memory cache while the worker is recent, from its journal for what the
 * cache no longer holds or after a restart. Undefined for an unknown worker.
 */
export function readWorkerLog(
  logs: LogHub,
  workerId: string,
  options: LogReadOptions,
): AsyncGenerator<LogEntry> | undefined {
  const cached = logs.worker(workerId);
  const journal = journalOfWorker(logs.store, workerId);
  if (cached === undefined && journal === undefined) return undefined;
  return (async function* () {
    const { signal } = options;
    if (cached === undefined) {
      if (journal === undefined) return;
      for await (const e of readJournalLog(journal, { workerId, signal })) {
        if (e.entry !== undefined) yield e.entry;
      }
      return;
    }
    for await (const read of cached.read(options)) {
      if ("item" in read) {
        yield read.item;
        continue;
      }
      // Older than the cache holds: the cache's index i is sequence i + 1.
      let missing = read.dropped;
      if (journal !== undefined) {
        const range = {
          workerId,
          fromSequence: read.index + 1,
          untilSequence: read.index + 1 + read.dropped,
          signal,
        };
        for await (const e of readJournalLog(journal, range)) {
          if (e.entry === undefined) continue;
          missing--;
          yield e.entry;
        }
      }
      if (missing > 0 && !signal.aborted) yield missingMarker(workerId, missing);
    }
  })();
}

/** A pipeline's build log, like readWorkerLog. Undefined for an unknown pipeline. */
export function readBuildLog(
  logs: LogHub,
  pipelineId: string,
  options: LogReadOptions,
): AsyncGenerator<BuildLogEntry> | undefined {
  const cached = logs.build(pipelineId);
  const journal = logs.store.get("pipeline", pipelineId);
  if (cached === undefined && journal === undefined) return undefined;
  return (async function* () {
    const { signal } = options;
    if (cached === undefined) {
      if (journal !== undefined) yield* readJournalLog(journal, { signal });
      return;
    }
    for await (const read of cached.read(options)) {
      if ("item" in read) {
        yield read.item;
        continue;
      }
      // The cache's index i is the journal's log record i.
      let missing = read.dropped;
      if (journal !== undefined) {
        const range = { from: read.index, until: read.index + read.dropped, signal };
        for await (const entry of readJournalLog(journal, range)) {
          missing--;
          yield entry;
        }
      }
      if (missing > 0 && !signal.aborted) {
        yield create(BuildLogEntrySchema, { pipelineId, entry: missingMarker("", missing) });
      }
    }
  })();
}

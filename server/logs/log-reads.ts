import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import {
  type BuildLogEntry,
  BuildLogEntrySchema,
  type LogEntry,
  LogEntrySchema,
  LogStream,
} from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { parseWorkerId } from "../domain/worker-id.ts";
import type { ReplayBuffer } from "../util/replay-buffer.ts";
import type { FollowerCache } from "./follower-cache.ts";
import type { BuildJournal } from "./store/build-journal.ts";
import type { BuildStore } from "./store/build-store.ts";
import { readJournalLog } from "./store/journal-reads.ts";

export interface LogReadOptions {
  follow: boolean;
  signal: AbortSignal;
}

/** Says, in the stream itself, that lines are missing (lost to a disk error or to retention). */
function missingMarker(workerId: string, missing: number): LogEntry {
  return create(LogEntrySchema, {
    workerId,
    line: `[ottoscaler] ${missing} line(s) missing: no longer stored`,
    stream: LogStream.SYSTEM,
    timestamp: timestampNow(),
    droppedLines: BigInt(missing),
  });
}

/** The journal a worker's lines are in, from what its id says of its owner. */
function journalOfWorker(store: BuildStore, workerId: string): BuildJournal | undefined {
  const ref = parseWorkerId(workerId);
  if (ref === undefined) return undefined;
  return ref.kind === "pipeline"
    ? store.get("pipeline", ref.pipelineId)
    : store.get("task", ref.taskId);
}

/**
 * A cached history, with what the cache no longer holds filled in from the
 * journal: `fill(index, count)` reads those items; any it cannot find (lost to
 * a disk error or to retention) are announced by one marker.
 */
async function* cachedThenJournal<T>(
  cached: ReplayBuffer<T>,
  options: LogReadOptions,
  fill: (index: number, count: number) => AsyncIterable<T> | Iterable<T>,
  marker: (missing: number) => T,
): AsyncGenerator<T> {
  for await (const read of cached.read(options)) {
    if ("item" in read) {
      yield read.item;
      continue;
    }
    let missing = read.dropped;
    for await (const item of fill(read.index, read.dropped)) {
      missing--;
      yield item;
    }
    if (missing > 0 && !options.signal.aborted) yield marker(missing);
  }
}

async function* entriesOf(log: AsyncIterable<BuildLogEntry>): AsyncGenerator<LogEntry> {
  for await (const { entry } of log) if (entry !== undefined) yield entry;
}

/**
 * Serves worker and build logs, whole and then live: from the follower cache
 * while a build is recent, from its journal for what the cache no longer holds
 * or after a restart.
 */
export class LogReader {
  readonly #cache: FollowerCache;
  readonly #store: BuildStore;

  constructor(cache: FollowerCache, store: BuildStore) {
    this.#cache = cache;
    this.#store = store;
  }

  /**
   * A worker's whole log, then (with follow) its new lines until it ends.
   * Undefined for an unknown worker.
   */
  workerLog(workerId: string, options: LogReadOptions): AsyncGenerator<LogEntry> | undefined {
    const cached = this.#cache.worker(workerId);
    const journal = journalOfWorker(this.#store, workerId);
    const { signal } = options;
    if (cached === undefined) {
      return journal && entriesOf(readJournalLog(journal, { workerId, signal }));
    }
    // The cache's index i is sequence i + 1.
    const fill = (index: number, count: number) =>
      journal === undefined
        ? []
        : entriesOf(
            readJournalLog(journal, {
              workerId,
              fromSequence: index + 1,
              untilSequence: index + 1 + count,
              signal,
            }),
          );
    return cachedThenJournal(cached, options, fill, (missing) => missingMarker(workerId, missing));
  }

  /** A pipeline's build log, like workerLog. Undefined for an unknown pipeline. */
  buildLog(pipelineId: string, options: LogReadOptions): AsyncGenerator<BuildLogEntry> | undefined {
    const cached = this.#cache.build(pipelineId);
    const journal = this.#store.get("pipeline", pipelineId);
    const { signal } = options;
    if (cached === undefined) return journal && readJournalLog(journal, { signal });
    // The cache's index i is the journal's log record i.
    const fill = (index: number, count: number) =>
      journal === undefined
        ? []
        : readJournalLog(journal, { from: index, until: index + count, signal });
    return cachedThenJournal(cached, options, fill, (missing) =>
      create(BuildLogEntrySchema, { pipelineId, entry: missingMarker("", missing) }),
    );
  }
}

import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { OttoHandlerIngestService } from "../../../gen/otto/handler/v1/handler_pb.js";
import {
  ForwardingState,
  type LogForwardingDestination,
  LogForwardingDestinationSchema,
} from "../../../gen/ottoscaler/v1/log_streaming_pb.js";
import type { Logger } from "../../observability/logger.ts";
import { Backoff } from "../../util/backoff.ts";
import { sleep } from "../../util/sleep.ts";
import type { BuildJournal } from "../store/build-journal.ts";
import type { BuildStore } from "../store/build-store.ts";
import { cursorPath, type DeliveryCursor, readCursor, writeCursor } from "./delivery-cursor.ts";
import { type BatchLimits, type EntryBatch, readEntryBatch } from "./entry-batch.ts";

export interface ForwarderOptions extends BatchLimits {
  url: string;
  /** Names this controller to the destination. */
  source: string;
  maxBackoffMs: number;
  callTimeoutMs: number;
  /** How often a lagging or failing destination is reported in the log. */
  reportEveryMs: number;
}

interface Track {
  journal: BuildJournal;
  cursor: DeliveryCursor;
  file: string;
  /** Wall time (ms) of the oldest entry not acknowledged, when known. */
  pendingSinceMs: number | undefined;
}

/** Codes that say "not now": the batch is sent again after a backoff. Others mean "never". */
const rejecting = new Set([Code.InvalidArgument]);

/**
 * Hands every journal entry to one destination (Otto-handler), at least once
 * and in journal order, so in order per worker and per pipeline. It reads the
 * journals from disk, one batch in flight, and keeps a durable cursor per
 * journal of what the destination acknowledged: while the destination is down
 * nothing piles up in memory, and after a restart delivery resumes from the
 * cursors.
 */
export class LogForwarder {
  readonly #store: BuildStore;
  readonly #client: Client<typeof OttoHandlerIngestService>;
  readonly #options: ForwarderOptions;
  readonly #logger: Logger;
  /**
   * By journal, not by build key: a task's journal that retention removes can be followed by a
   * new one under the same key while the old one's files are still being deleted.
   */
  readonly #tracks = new Map<BuildJournal, Track>();
  #state = ForwardingState.CAUGHT_UP;
  #wake: (() => void) | undefined;
  #acknowledged = 0n;
  #rejectedBatches = 0n;
  #rejectedEntries = 0n;
  #failedAttempts = 0n;
  #lastError = "";
  #lastErrorTime: Timestamp | undefined;
  #lastAckTime: Timestamp | undefined;
  #failingSinceMs: number | undefined;
  #removedUndelivered = 0n;
  #done: Promise<void> | undefined;

  constructor(
    store: BuildStore,
    client: Client<typeof OttoHandlerIngestService>,
    options: ForwarderOptions,
    logger: Logger,
  ) {
    this.#store = store;
    this.#client = client;
    this.#options = options;
    this.#logger = logger;
  }

  /** Loads the cursors and forwards until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    for (const journal of this.#store.list()) await this.#track(journal);
    const stopListening = this.#store.onFlushed((journal) => {
      const track = this.#tracks.get(journal);
      if (track === undefined) void this.#track(journal).then(() => this.#wake?.());
      else {
        track.pendingSinceMs ??= Date.now();
        this.#wake?.();
      }
    });
    const stopListeningForRemovals = this.#store.onRemoved((journal) => this.#removed(journal));
    const report = setInterval(() => this.#report(), this.#options.reportEveryMs);
    report.unref();
    this.#done = this.#runSafely(signal).finally(() => {
      stopListening();
      stopListeningForRemovals();
      clearInterval(report);
    });
  }

  /** Whether the destination has acknowledged every entry of the journal. */
  delivered(journal: BuildJournal): boolean {
    const acknowledged = this.#tracks.get(journal)?.cursor.entries ?? 0;
    return acknowledged >= journal.state.entries;
  }

  /** Retention removed a build: what the destination never got is counted and said. */
  #removed(journal: BuildJournal): void {
    const track = this.#tracks.get(journal);
    this.#tracks.delete(journal);
    const lost = journal.state.entries - (track?.cursor.entries ?? 0);
    if (lost <= 0) return;
    this.#removedUndelivered += BigInt(lost);
    this.#logger.warn("undeliveredBuildRemoved", {
      url: this.#options.url,
      build: journal.key,
      undeliveredEntries: lost,
    });
  }

  /** Resolves once the loop has stopped (after the start signal aborted). */
  stopped(): Promise<void> {
    return this.#done ?? Promise.resolve();
  }

  async #track(journal: BuildJournal): Promise<void> {
    if (this.#tracks.has(journal)) return;
    const file = cursorPath(journal.dir, this.#options.url);
    const track: Track = {
      journal,
      cursor: { offset: 0, entries: 0 },
      file,
      pendingSinceMs: undefined,
    };
    this.#tracks.set(journal, track);
    track.cursor = await readCursor(file);
    if (track.cursor.offset < journal.readableBytes) {
      const first = await readEntryBatch(journal, track.cursor.offset, {
        maxEntries: 1,
        maxBytes: 1,
      });
      track.pendingSinceMs = msOf(first.firstTimestamp) ?? Date.now();
    }
  }

  /** The next journal with entries not acknowledged yet, oldest first. */
  #next(): Track | undefined {
    for (const track of this.#tracks.values()) {
      // Being removed by retention: #removed forgets it (and counts what it lacked) once done.
      if (this.#store.get(track.journal.kind, track.journal.id) !== track.journal) continue;
      if (track.cursor.offset < track.journal.readableBytes) return track;
    }
    return undefined;
  }

  /** The loop, restarted after anything unexpected (a disk error, say): forwarding never just stops. */
  async #runSafely(signal: AbortSignal): Promise<void> {
    const crashes = new Backoff({ initialMs: 1000, maxMs: this.#options.maxBackoffMs });
    while (!signal.aborted) {
      try {
        await this.#run(signal);
      } catch (error) {
        this.#lastError = `Internal: ${(error as Error).message}`;
        this.#lastErrorTime = timestampFromDate(new Date());
        this.#logger.error("forwardingFailed", { url: this.#options.url, error: this.#lastError });
        this.#state = ForwardingState.BACKING_OFF;
        await sleep(crashes.next(), signal);
      }
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    const retries = new Backoff({ initialMs: 100, maxMs: this.#options.maxBackoffMs });
    while (!signal.aborted) {
      const track = this.#next();
      if (track === undefined) {
        this.#state = ForwardingState.CAUGHT_UP;
        // Until a journal has new records (or shutdown); the listener goes with the wait.
        await new Promise<void>((resolve) => {
          const done = () => {
            signal.removeEventListener("abort", done);
            this.#wake = undefined;
            resolve();
          };
          this.#wake = done;
          signal.addEventListener("abort", done, { once: true });
        });
        continue;
      }
      // While failing, retries keep reporting BACKING_OFF: the state tells whether delivery works.
      if (retries.failures === 0) this.#state = ForwardingState.SENDING;
      const batch = await readEntryBatch(track.journal, track.cursor.offset, this.#options, signal);
      if (batch.entries.length === 0) {
        await this.#advance(track, batch.end, 0);
        continue;
      }
      track.pendingSinceMs = msOf(batch.firstTimestamp) ?? track.pendingSinceMs;
      const answer = await this.#send(batch.entries, signal);
      if (signal.aborted) break;
      if ("stored" in answer) {
        const { stored } = answer;
        const end =
          stored === batch.entries.length ? batch.end : (batch.ends[stored - 1] as number);
        await this.#advance(track, end, stored);
        this.#acknowledged += BigInt(stored);
        this.#lastAckTime = timestampFromDate(new Date());
        if (retries.failures > 0) {
          this.#logger.info("forwardingResumed", {
            url: this.#options.url,
            failedAttempts: retries.failures,
            downMs: Date.now() - (this.#failingSinceMs ?? Date.now()),
          });
        }
        retries.reset();
        this.#failingSinceMs = undefined;
        // Round robin: a build that keeps writing does not hold up the others.
        // (Unless retention removed the build meanwhile.)
        if (this.#tracks.delete(track.journal)) this.#tracks.set(track.journal, track);
        continue;
      }
      this.#lastError = `${Code[answer.code]}: ${answer.message}`;
      this.#lastErrorTime = timestampFromDate(new Date());
      if (rejecting.has(answer.code)) {
        this.#rejectedBatches++;
        this.#rejectedEntries += BigInt(batch.entries.length);
        this.#logger.error("forwardingRejected", {
          url: this.#options.url,
          build: track.journal.key,
          fromEntry: track.cursor.entries + 1,
          entries: batch.entries.length,
          error: this.#lastError,
        });
        await this.#advance(track, batch.end, batch.entries.length);
        continue;
      }
      this.#failedAttempts++;
      this.#failingSinceMs ??= Date.now();
      const delay = retries.next();
      if (retries.failures === 1) {
        this.#logger.warn("forwardingFailed", {
          url: this.#options.url,
          error: this.#lastError,
          retryInMs: Math.round(delay),
        });
      }
      this.#state = ForwardingState.BACKING_OFF;
      await sleep(delay, signal);
    }
  }

  /** One call: how many entries, from the first, the destination stored, or why it stored none. */
  async #send(
    entries: EntryBatch["entries"],
    signal: AbortSignal,
  ): Promise<{ stored: number } | { code: Code; message: string }> {
    try {
      const response = await this.#client.ingestEntries(
        { source: this.#options.source, entries },
        { signal, timeoutMs: this.#options.callTimeoutMs },
      );
      const stored = Math.min(response.stored, entries.length);
      // Nothing stored is "not now": retried like an unavailable destination.
      if (stored === 0) {
        return { code: Code.Unavailable, message: "the destination stored none of the batch" };
      }
      return { stored };
    } catch (cause) {
      const error = ConnectError.from(cause);
      return { code: error.code, message: error.rawMessage };
    }
  }

  async #advance(track: Track, offset: number, entries: number): Promise<void> {
    track.cursor = { offset, entries: track.cursor.entries + entries };
    // Caught up with this journal; otherwise the next batch read tells the oldest entry's age.
    if (offset >= track.journal.readableBytes) track.pendingSinceMs = undefined;
    try {
      await writeCursor(track.file, this.#options.url, track.cursor);
    } catch (error) {
      // Retention removed the build while it was being sent; #removed forgets its track.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }

  status(): LogForwardingDestination {
    let lagEntries = 0;
    let acknowledgedTotal = 0;
    let oldest: number | undefined;
    let cursorTrack: Track | undefined;
    for (const track of this.#tracks.values()) {
      acknowledgedTotal += track.cursor.entries;
      const lag = track.journal.state.entries - track.cursor.entries;
      if (lag <= 0) continue;
      lagEntries += lag;
      cursorTrack ??= track;
      if (track.pendingSinceMs !== undefined)
        oldest = Math.min(oldest ?? Infinity, track.pendingSinceMs);
    }
    return create(LogForwardingDestinationSchema, {
      url: this.#options.url,
      state: this.#state,
      acknowledgedEntries: this.#acknowledged,
      acknowledgedEntriesTotal: BigInt(acknowledgedTotal),
      cursorBuildId: cursorTrack?.journal.key ?? "",
      cursorEntries: BigInt(cursorTrack?.cursor.entries ?? 0),
      lagEntries: BigInt(lagEntries),
      lagSeconds:
        lagEntries === 0 || oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
      rejectedBatches: this.#rejectedBatches,
      rejectedEntries: this.#rejectedEntries,
      failedAttempts: this.#failedAttempts,
      removedUndeliveredEntries: this.#removedUndelivered,
      lastError: this.#lastError,
      ...(this.#lastErrorTime !== undefined && { lastErrorTime: this.#lastErrorTime }),
      ...(this.#lastAckTime !== undefined && { lastAckTime: this.#lastAckTime }),
    });
  }

  /** Logs the destination's lag while it lags or fails, so it shows without asking. */
  #report(): void {
    const status = this.status();
    if (status.lagEntries === 0n && this.#failingSinceMs === undefined) return;
    this.#logger[this.#failingSinceMs === undefined ? "info" : "warn"]("forwardingLag", {
      url: status.url,
      state: ForwardingState[status.state],
      lagEntries: Number(status.lagEntries),
      lagSeconds: Math.round(status.lagSeconds * 10) / 10,
      cursor: status.cursorBuildId,
      acknowledged: Number(status.acknowledgedEntriesTotal),
      failedAttempts: Number(status.failedAttempts),
      lastError: status.lastError,
    });
  }
}

function msOf(timestamp: Timestamp | undefined): number | undefined {
  return timestamp === undefined ? undefined : timestampDate(timestamp).getTime();
}

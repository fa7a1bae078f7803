import { mkdirSync, renameSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../../observability/logger.ts";
import type { Metrics } from "../../observability/metrics.ts";
import {
  BuildJournal,
  type BuildKind,
  type BuildJournal as Journal,
  journalFileName,
  sealedFileName,
} from "./build-journal.ts";
import { emptyJournalState, type JournalState } from "./journal-state.ts";
import { loadJournal } from "./load-journal.ts";
import { type RemovedBuild, RemovedBuilds } from "./removed-builds.ts";

const kinds: BuildKind[] = ["pipeline", "task"];

/**
 * Every build's journal under one data directory:
 * `<dataDir>/builds/<pipeline|task>/<id>/journal`. Journals are only ever
 * appended to; a build leaves the store only through retention.
 */
export class BuildStore {
  readonly dataDir: string;
  readonly #logger: Logger;
  readonly #journals = new Map<string, BuildJournal>();
  readonly #listeners = new Set<(journal: BuildJournal) => void>();
  readonly #removedListeners = new Set<(journal: BuildJournal) => void>();
  readonly #removed: RemovedBuilds;

  readonly #metrics: Pick<Metrics, "journalWriteSeconds" | "retentionRemovals"> | undefined;

  constructor(
    dataDir: string,
    logger: Logger,
    metrics?: Pick<Metrics, "journalWriteSeconds" | "retentionRemovals">,
  ) {
    this.dataDir = dataDir;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#removed = new RemovedBuilds(path.join(dataDir, "builds", "removed.jsonl"));
  }

  #dirOf(kind: BuildKind, id: string): string {
    return path.join(this.dataDir, "builds", kind, id);
  }

  /** Where removed builds' directories go to be deleted. */
  get #trashDir(): string {
    return path.join(this.dataDir, "builds", "removing");
  }

  /** Loads every stored journal, repairing damaged tails. Call once, before use. */
  async load(): Promise<void> {
    mkdirSync(path.join(this.dataDir, "builds"), { recursive: true });
    await this.#removed.load();
    // What a crash left half deleted.
    await rm(this.#trashDir, { recursive: true, force: true });
    for (const kind of kinds) {
      const parent = path.join(this.dataDir, "builds", kind);
      mkdirSync(parent, { recursive: true });
      for (const id of await readdir(parent)) {
        const dir = path.join(parent, id);
        if (!(await stat(dir)).isDirectory()) continue;
        const { state, summary } = await loadJournal(
          path.join(dir, journalFileName),
          path.join(dir, sealedFileName),
          {
            trackWorkers: kind === "task",
            onDamage: (damage) =>
              this.#logger.warn("journalDamaged", {
                build: `${kind}/${id}`,
                offset: damage.offset,
                reason: damage.reason,
                bytesRemoved: damage.bytesRemoved,
                savedAs: damage.savedAs,
                recordsKept: damage.recordsKept,
              }),
          },
        );
        continueNumbering(state, this.#removed.get(kind, id));
        const journal = new BuildJournal(kind, id, dir, state, summary);
        this.#journals.set(journal.key, journal);
      }
    }
  }

  get(kind: BuildKind, id: string): BuildJournal | undefined {
    return this.#journals.get(`${kind}/${id}`);
  }

  /** A build retention removed (its id keyed forwarded entries, so it is never reused as new). */
  removed(kind: BuildKind, id: string): RemovedBuild | undefined {
    return this.#removed.get(kind, id);
  }

  /** Every journal, oldest first (by when it was created or loaded). */
  list(kind?: BuildKind): BuildJournal[] {
    const all = [...this.#journals.values()];
    return kind === undefined ? all : all.filter((journal) => journal.kind === kind);
  }

  /**
   * The journal of a build, created (or, for a task scaled up again, reopened)
   * for appending.
   */
  openForWriting(kind: BuildKind, id: string): BuildJournal {
    let journal = this.get(kind, id);
    if (journal === undefined) {
      const dir = this.#dirOf(kind, id);
      mkdirSync(dir, { recursive: true });
      const state = emptyJournalState();
      continueNumbering(state, this.#removed.get(kind, id));
      journal = new BuildJournal(kind, id, dir, state, undefined);
      this.#journals.set(journal.key, journal);
    }
    const opened = journal;
    opened.openForWriting({
      onFlushed: (_bytes, seconds) => {
        this.#metrics?.journalWriteSeconds.observe(seconds);
        for (const listener of this.#listeners) listener(opened);
      },
      onError: (error, lostRecords) =>
        this.#logger.error("journalWriteFailed", {
          build: opened.key,
          lostRecords,
          error: error.message,
        }),
    });
    return opened;
  }

  /** Called whenever a journal has new records on disk. */
  onFlushed(listener: (journal: Journal) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called when retention has removed a build, so memory forgets it too. */
  onRemoved(listener: (journal: Journal) => void): () => void {
    this.#removedListeners.add(listener);
    return () => this.#removedListeners.delete(listener);
  }

  /**
   * Removes a build that is not being written (retention). Up to the deletion of its files,
   * synchronously: from the first await on, a build opened under the same id (a task scaled up
   * again) is a new one, numbered on and in a directory of its own.
   */
  async remove(journal: BuildJournal): Promise<void> {
    if (journal.writing) throw new Error(`journal ${journal.key} is being written`);
    this.#removed.add({
      kind: journal.kind,
      id: journal.id,
      removedAt: new Date().toISOString(),
      maxWorkerIndex: journal.state.maxWorkerIndex,
      workerEvents: journal.state.workerEvents,
    });
    this.#journals.delete(journal.key);
    this.#metrics?.retentionRemovals.inc();
    const doomed = path.join(this.#trashDir, `${journal.kind}-${journal.id}-${Date.now()}`);
    mkdirSync(this.#trashDir, { recursive: true });
    renameSync(journal.dir, doomed);
    await rm(doomed, { recursive: true, force: true });
    for (const listener of this.#removedListeners) listener(journal);
  }

  /** Closes every journal still open, e.g. at shutdown. */
  async close(): Promise<void> {
    await Promise.all([...this.#journals.values()].filter((j) => j.writing).map((j) => j.seal()));
  }
}

/** A build with the id of a removed one numbers on from where that one ended. */
function continueNumbering(state: JournalState, removed: RemovedBuild | undefined): void {
  if (removed === undefined) return;
  state.maxWorkerIndex = Math.max(state.maxWorkerIndex, removed.maxWorkerIndex);
  state.workerEvents = Math.max(state.workerEvents, removed.workerEvents);
}

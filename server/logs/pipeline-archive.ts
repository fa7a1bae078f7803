import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { PipelineProgress, PipelineSummary } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type { BuildStore } from "./store/build-store.ts";
import { readJournalProgress, readJournalSoFar } from "./store/journal-reads.ts";
import { summaryOf } from "./store/stored-pipelines.ts";

/** A pipeline as its journal keeps it. */
export interface StoredPipeline {
  summary: PipelineSummary;
  /** Its progress events in order, read from disk. */
  progress(signal?: AbortSignal): AsyncIterable<PipelineProgress>;
}

/** The pipelines the store holds, and those retention removed, as the engine needs them. */
export class PipelineArchive {
  readonly #store: BuildStore;

  constructor(store: BuildStore) {
    this.#store = store;
  }

  /** Whether the store holds the pipeline: no summary is built to say so. */
  has(pipelineId: string): boolean {
    return this.#store.get("pipeline", pipelineId) !== undefined;
  }

  get(pipelineId: string): StoredPipeline | undefined {
    const journal = this.#store.get("pipeline", pipelineId);
    if (journal === undefined) return undefined;
    return {
      summary: summaryOf(journal),
      progress: (signal) => readJournalProgress(journal, signal),
    };
  }

  /**
   * What a controller continuing an unfinished pipeline needs from its journal: its events,
   * when it was made, and how many lines each worker has recorded (read in one pass).
   */
  async progressSoFar(pipelineId: string): Promise<
    | {
        events: PipelineProgress[];
        createdAt: Timestamp | undefined;
        logEntries: number;
        linesPerWorker: Map<string, number>;
      }
    | undefined
  > {
    const journal = this.#store.get("pipeline", pipelineId);
    if (journal === undefined) return undefined;
    const { progress, linesPerWorker } = await readJournalSoFar(journal);
    return {
      events: progress,
      createdAt: journal.state.header?.createdAt,
      logEntries: journal.state.logEntries,
      linesPerWorker,
    };
  }

  /** When retention removed the pipeline, if it did: its id stays taken. */
  removedAt(pipelineId: string): string | undefined {
    return this.#store.removed("pipeline", pipelineId)?.removedAt;
  }

  /** Every stored pipeline's summary, in no particular order. */
  list(): PipelineSummary[] {
    return this.#store.list("pipeline").map(summaryOf);
  }

  /** Calls `listener` with the id of each pipeline retention removes. */
  onRemoved(listener: (pipelineId: string) => void): void {
    this.#store.onRemoved((journal) => {
      if (journal.kind === "pipeline") listener(journal.id);
    });
  }
}

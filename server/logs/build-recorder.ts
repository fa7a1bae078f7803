import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import {
  BuildKind,
  JournalHeaderSchema,
  JournalRecordSchema,
  TaskWorkerEventSchema,
} from "../../gen/ottoscaler/store/v1/journal_pb.js";
import {
  type BuildLogEntry,
  BuildLogEntrySchema,
  LogEntrySchema,
  LogStream,
} from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import type { PipelineProgress, PipelineSummary } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type { WorkerStatus } from "../../gen/ottoscaler/v1/worker_pb.js";
import type { BuildJournal } from "./store/build-journal.ts";
import type { BuildStore } from "./store/build-store.ts";

/** Whose output a worker's lines are: a pipeline's stage attempt, or a ScaleUp task. */
export interface WorkerLogOwner {
  workerId: string;
  pipelineId?: string;
  stageId?: string;
  attempt?: number;
  taskId?: string;
  /**
   * The sequence of the worker's next line: above 1 when a new controller continues a worker.
   * @default 1
   */
  firstSequence?: number;
}

export interface BuildHeader {
  name: string;
  stageIds: string[];
}

export type OutputStream = "stdout" | "stderr";

/** The first record of a build's journal. */
function headerRecord(kind: BuildKind, id: string, header: BuildHeader) {
  return create(JournalRecordSchema, {
    record: {
      case: "header",
      value: create(JournalHeaderSchema, { kind, id, createdAt: timestampNow(), ...header }),
    },
  });
}

/** A worker's lines being recorded: numbered from 1, each appended to its build's journal. */
export class WorkerLogWriter {
  readonly #owner: WorkerLogOwner;
  readonly #journal: BuildJournal | undefined;
  #nextSequence = 1;

  constructor(owner: WorkerLogOwner, journal: BuildJournal | undefined) {
    this.#owner = owner;
    this.#journal = journal;
    this.#nextSequence = owner.firstSequence ?? 1;
  }

  /** Records one line and returns it as an entry of its build's log. */
  write(stream: OutputStream, line: string): BuildLogEntry {
    const { workerId, pipelineId, stageId, attempt } = this.#owner;
    const entry = create(BuildLogEntrySchema, {
      pipelineId: pipelineId ?? "",
      stageId: stageId ?? "",
      attempt: attempt ?? 0,
      entry: create(LogEntrySchema, {
        workerId,
        line,
        stream: stream === "stdout" ? LogStream.STDOUT : LogStream.STDERR,
        timestamp: timestampNow(),
        sequence: BigInt(this.#nextSequence++),
      }),
    });
    this.#journal?.append(create(JournalRecordSchema, { record: { case: "log", value: entry } }));
    return entry;
  }
}

/**
 * Writes what is kept for good: every worker line, every pipeline status event
 * and every ScaleUp worker change, appended to its build's journal in the store
 * as it arrives.
 */
export class BuildRecorder {
  readonly #store: BuildStore;

  constructor(store: BuildStore) {
    this.#store = store;
  }

  /** A new pipeline: its journal is created and starts with a header. */
  openPipeline(pipelineId: string, header: BuildHeader): void {
    if (this.#store.get("pipeline", pipelineId)?.writing) return;
    const journal = this.#store.openForWriting("pipeline", pipelineId);
    journal.append(headerRecord(BuildKind.PIPELINE, pipelineId, header));
  }

  /** A pipeline, stage or worker status event, kept with the build's log. */
  recordProgress(event: PipelineProgress): void {
    this.#store
      .get("pipeline", event.pipelineId)
      ?.append(create(JournalRecordSchema, { record: { case: "progress", value: event } }));
  }

  /** The pipeline has ended: its journal is sealed with its summary. */
  sealPipeline(pipelineId: string, summary: PipelineSummary): Promise<void> {
    return this.#store.get("pipeline", pipelineId)?.seal(summary) ?? Promise.resolve();
  }

  /** A worker starts: its lines go to its pipeline's journal, or to its task's (opened now). */
  openWorker(owner: WorkerLogOwner): WorkerLogWriter {
    return new WorkerLogWriter(owner, this.#journalOf(owner));
  }

  #journalOf(owner: WorkerLogOwner): BuildJournal | undefined {
    if (owner.pipelineId !== undefined) return this.#store.get("pipeline", owner.pipelineId);
    if (owner.taskId === undefined) return undefined;
    const existing = this.#store.get("task", owner.taskId);
    const journal = this.#store.openForWriting("task", owner.taskId);
    if (existing === undefined) {
      journal.append(
        headerRecord(BuildKind.TASK, owner.taskId, { name: owner.taskId, stageIds: [] }),
      );
    }
    return journal;
  }

  /**
   * A ScaleUp task worker's status changed: kept in its task's journal (opened
   * with the worker's log), numbered per task across restarts.
   */
  recordTaskWorker(worker: WorkerStatus): void {
    const journal = this.#store.get("task", worker.taskId);
    if (journal === undefined || !journal.writing) return;
    const event = create(TaskWorkerEventSchema, {
      sequence: BigInt(journal.state.workerEvents + 1),
      recordedAt: timestampNow(),
      worker,
    });
    journal.append(create(JournalRecordSchema, { record: { case: "worker", value: event } }));
  }

  /** A ScaleUp task has no live worker left: its journal is sealed until the next ScaleUp. */
  sealTask(taskId: string): Promise<void> {
    return this.#store.get("task", taskId)?.seal() ?? Promise.resolve();
  }

  /**
   * The index a task's next worker gets: after every worker it ever had, before a restart and
   * before retention removed its journal too.
   */
  nextTaskWorkerIndex(taskId: string): number {
    const journal = this.#store.get("task", taskId);
    // With no journal, one retention removed may still hold the task's numbering.
    const removed = this.#store.removed("task", taskId);
    return (journal?.state.maxWorkerIndex ?? removed?.maxWorkerIndex ?? -1) + 1;
  }
}

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
  type LogEntry,
  LogEntrySchema,
  LogStream,
} from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import type { PipelineProgress, PipelineSummary } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type { WorkerStatus } from "../../gen/ottoscaler/v1/worker_pb.js";
import type { WorkerStream } from "../executor/executor.ts";
import { ReplayBuffer } from "../util/replay-buffer.ts";
import type { BuildJournal } from "./store/build-journal.ts";
import type { BuildStore } from "./store/build-store.ts";

export interface WorkerLogOwner {
  workerId: string;
  pipelineId?: string;
  stageId?: string;
  attempt?: number;
  taskId?: string;
}

export interface BuildHeader {
  name: string;
  stageIds: string[];
}

interface WorkerLog {
  owner: WorkerLogOwner;
  /** Where its lines are kept for good: its pipeline's or its task's journal. */
  journal: BuildJournal | undefined;
  entries: ReplayBuffer<LogEntry>;
  nextSequence: number;
}

export interface LogHubOptions {
  maxLinesPerWorker: number;
  maxLinesPerBuild: number;
}

/** The first record of a build's journal. */
function headerRecord(kind: BuildKind, id: string, header: BuildHeader) {
  return create(JournalRecordSchema, {
    record: {
      case: "header",
      value: create(JournalHeaderSchema, { kind, id, createdAt: timestampNow(), ...header }),
    },
  });
}

/**
 * Every worker's output, whatever executor produced it. Each line (and each
 * pipeline status event and task worker change) is appended to its build's journal in the store as it
 * arrives: that is what is kept. The hub also caches the newest lines of each
 * worker and of each pipeline in memory, bounded, for followers; readers of
 * older lines go to the journal (see log-reads.ts).
 */
export class LogHub {
  readonly store: BuildStore;
  readonly #options: LogHubOptions;
  readonly #workers = new Map<string, WorkerLog>();
  readonly #builds = new Map<string, ReplayBuffer<BuildLogEntry>>();

  constructor(options: LogHubOptions, store: BuildStore) {
    this.#options = options;
    this.store = store;
  }

  /** A new pipeline: its journal is created and starts with a header. */
  openBuild(pipelineId: string, header: BuildHeader): void {
    if (this.#builds.has(pipelineId)) return;
    this.#builds.set(pipelineId, new ReplayBuffer(this.#options.maxLinesPerBuild));
    const journal = this.store.openForWriting("pipeline", pipelineId);
    journal.append(headerRecord(BuildKind.PIPELINE, pipelineId, header));
  }

  /** A pipeline, stage or worker status event, kept with the build's log. */
  recordProgress(event: PipelineProgress): void {
    this.store
      .get("pipeline", event.pipelineId)
      ?.append(create(JournalRecordSchema, { record: { case: "progress", value: event } }));
  }

  /**
   * No more workers will join: followers of the build log finish, and the
   * journal is sealed with the pipeline's summary.
   */
  closeBuild(pipelineId: string, summary: PipelineSummary): Promise<void> {
    this.#builds.get(pipelineId)?.close();
    return this.store.get("pipeline", pipelineId)?.seal(summary) ?? Promise.resolve();
  }

  /**
   * A ScaleUp task worker's status changed: kept in its task's journal (opened
   * with the worker's log), numbered per task across restarts.
   */
  recordTaskWorker(worker: WorkerStatus): void {
    const journal = this.store.get("task", worker.taskId);
    if (journal === undefined || !journal.writing) return;
    const event = create(TaskWorkerEventSchema, {
      sequence: BigInt(journal.state.workerEvents + 1),
      recordedAt: timestampNow(),
      worker,
    });
    journal.append(create(JournalRecordSchema, { record: { case: "worker", value: event } }));
  }

  /** A ScaleUp task has no live worker left: its journal is sealed until the next ScaleUp. */
  closeTask(taskId: string): Promise<void> {
    return this.store.get("task", taskId)?.seal() ?? Promise.resolve();
  }

  /**
   * The index a task's next worker gets: after every worker it ever had, before a restart and
   * before retention removed its journal too.
   */
  nextTaskWorkerIndex(taskId: string): number {
    const journal = this.store.get("task", taskId);
    // With no journal, one retention removed may still hold the task's numbering.
    const removed = this.store.removed("task", taskId);
    return (journal?.state.maxWorkerIndex ?? removed?.maxWorkerIndex ?? -1) + 1;
  }

  openWorker(owner: WorkerLogOwner): void {
    this.#workers.set(owner.workerId, {
      owner,
      journal: this.#journalOf(owner),
      entries: new ReplayBuffer(this.#options.maxLinesPerWorker),
      nextSequence: 1,
    });
  }

  #journalOf(owner: WorkerLogOwner): BuildJournal | undefined {
    if (owner.pipelineId !== undefined) return this.store.get("pipeline", owner.pipelineId);
    if (owner.taskId === undefined) return undefined;
    const existing = this.store.get("task", owner.taskId);
    const journal = this.store.openForWriting("task", owner.taskId);
    if (existing === undefined) {
      journal.append(
        headerRecord(BuildKind.TASK, owner.taskId, { name: owner.taskId, stageIds: [] }),
      );
    }
    return journal;
  }

  append(workerId: string, stream: WorkerStream, line: string): void {
    const log = this.#workers.get(workerId);
    if (log === undefined || log.entries.closed) return;
    const entry = create(LogEntrySchema, {
      workerId,
      line,
      stream: stream === "stdout" ? LogStream.STDOUT : LogStream.STDERR,
      timestamp: timestampNow(),
      sequence: BigInt(log.nextSequence++),
    });
    log.entries.append(entry);
    const { pipelineId, stageId, attempt } = log.owner;
    const buildEntry = create(BuildLogEntrySchema, {
      pipelineId: pipelineId ?? "",
      stageId: stageId ?? "",
      attempt: attempt ?? 0,
      entry,
    });
    log.journal?.append(
      create(JournalRecordSchema, { record: { case: "log", value: buildEntry } }),
    );
    if (pipelineId === undefined) return;
    const build = this.#builds.get(pipelineId);
    if (build !== undefined && !build.closed) build.append(buildEntry);
  }

  /** The worker has ended and all its output is in. */
  closeWorker(workerId: string): void {
    this.#workers.get(workerId)?.entries.close();
  }

  worker(workerId: string): ReplayBuffer<LogEntry> | undefined {
    return this.#workers.get(workerId)?.entries;
  }

  build(pipelineId: string): ReplayBuffer<BuildLogEntry> | undefined {
    return this.#builds.get(pipelineId);
  }

  forgetWorkers(workerIds: Iterable<string>): void {
    for (const id of workerIds) {
      this.#workers.get(id)?.entries.close();
      this.#workers.delete(id);
    }
  }

  forgetBuild(pipelineId: string): void {
    this.#builds.get(pipelineId)?.close();
    this.#builds.delete(pipelineId);
  }

  /** Ends every follower, at shutdown. */
  close(): void {
    for (const log of this.#workers.values()) log.entries.close();
    for (const build of this.#builds.values()) build.close();
  }
}

import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import {
  type BuildLogEntry,
  BuildLogEntrySchema,
  type LogEntry,
  LogEntrySchema,
  LogStream,
} from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import type { WorkerStream } from "../executor/executor.ts";
import { ReplayBuffer } from "../util/replay-buffer.ts";

export interface WorkerLogOwner {
  workerId: string;
  pipelineId?: string;
  stageId?: string;
  attempt?: number;
}

interface WorkerLog {
  owner: WorkerLogOwner;
  entries: ReplayBuffer<LogEntry>;
  nextSequence: number;
}

export type LogListener = (entry: BuildLogEntry) => void;

export interface LogHubOptions {
  maxLinesPerWorker: number;
  maxLinesPerBuild: number;
}

/**
 * Every worker's output, whatever executor produced it: kept, bounded, for
 * replay to late readers and followed live. A pipeline's lines are also kept
 * together, in arrival order, as its build log.
 */
export class LogHub {
  readonly #options: LogHubOptions;
  readonly #workers = new Map<string, WorkerLog>();
  readonly #builds = new Map<string, ReplayBuffer<BuildLogEntry>>();
  readonly #listeners = new Set<LogListener>();

  constructor(options: LogHubOptions) {
    this.#options = options;
  }

  openBuild(pipelineId: string): void {
    if (!this.#builds.has(pipelineId)) {
      this.#builds.set(pipelineId, new ReplayBuffer(this.#options.maxLinesPerBuild));
    }
  }

  /** No more workers will join: followers of the build log finish. */
  closeBuild(pipelineId: string): void {
    this.#builds.get(pipelineId)?.close();
  }

  openWorker(owner: WorkerLogOwner): void {
    this.#workers.set(owner.workerId, {
      owner,
      entries: new ReplayBuffer(this.#options.maxLinesPerWorker),
      nextSequence: 1,
    });
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
    if (pipelineId === undefined) return;
    const buildEntry = create(BuildLogEntrySchema, {
      pipelineId,
      stageId: stageId ?? "",
      attempt: attempt ?? 0,
      entry,
    });
    const build = this.#builds.get(pipelineId);
    if (build !== undefined && !build.closed) build.append(buildEntry);
    for (const listener of this.#listeners) listener(buildEntry);
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

  /** Sees every pipeline log line as it arrives, e.g. to forward it elsewhere. */
  subscribe(listener: LogListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
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

import type { BuildLogEntry, LogEntry } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { ReplayBuffer } from "../util/replay-buffer.ts";

export interface FollowerCacheOptions {
  /** Newest lines kept per worker. */
  maxLinesPerWorker: number;
  /** Newest lines kept per pipeline. */
  maxLinesPerBuild: number;
}

/**
 * The newest lines of each live worker and pipeline, in memory and bounded, for
 * followers of the live logs. Nothing here is kept for good (that is the
 * journal's job, see build-recorder.ts): a reader of older lines goes to disk.
 */
export class FollowerCache {
  readonly #options: FollowerCacheOptions;
  readonly #workers = new Map<string, ReplayBuffer<LogEntry>>();
  readonly #builds = new Map<string, ReplayBuffer<BuildLogEntry>>();

  constructor(options: FollowerCacheOptions) {
    this.#options = options;
  }

  /** @param firstIndex Lines the build recorded before (a run continued after a restart). */
  openBuild(pipelineId: string, firstIndex = 0): void {
    if (!this.#builds.has(pipelineId)) {
      this.#builds.set(pipelineId, new ReplayBuffer(this.#options.maxLinesPerBuild, firstIndex));
    }
  }

  /** No more lines will come: followers of the build log finish. */
  closeBuild(pipelineId: string): void {
    this.#builds.get(pipelineId)?.close();
  }

  /** @param firstIndex Lines the worker recorded before (a worker continued after a restart). */
  openWorker(workerId: string, firstIndex = 0): void {
    this.#workers.set(workerId, new ReplayBuffer(this.#options.maxLinesPerWorker, firstIndex));
  }

  /** A line of a worker opened here, and of its pipeline's build log if it has one. */
  add(line: BuildLogEntry): void {
    const entry = line.entry;
    if (entry === undefined) return;
    const worker = this.#workers.get(entry.workerId);
    if (worker === undefined || worker.closed) return;
    worker.append(entry);
    const build = line.pipelineId === "" ? undefined : this.#builds.get(line.pipelineId);
    if (build !== undefined && !build.closed) build.append(line);
  }

  /** The worker has ended and all its output is in. */
  closeWorker(workerId: string): void {
    this.#workers.get(workerId)?.close();
  }

  worker(workerId: string): ReplayBuffer<LogEntry> | undefined {
    return this.#workers.get(workerId);
  }

  build(pipelineId: string): ReplayBuffer<BuildLogEntry> | undefined {
    return this.#builds.get(pipelineId);
  }

  forgetWorkers(workerIds: Iterable<string>): void {
    for (const id of workerIds) {
      this.#workers.get(id)?.close();
      this.#workers.delete(id);
    }
  }

  forgetBuild(pipelineId: string): void {
    this.#builds.get(pipelineId)?.close();
    this.#builds.delete(pipelineId);
  }

  /** Ends every follower, at shutdown. */
  close(): void {
    for (const worker of this.#workers.values()) worker.close();
    for (const build of this.#builds.values()) build.close();
  }
}

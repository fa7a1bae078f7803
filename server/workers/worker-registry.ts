import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import {
  WorkerPhase,
  type WorkerStatus,
  WorkerStatusSchema,
} from "../../gen/ottoscaler/v1/worker_pb.js";
import { ReplayBuffer } from "../util/replay-buffer.ts";

export interface WorkerFilter {
  taskId?: string;
  pipelineId?: string;
}

export function matches(worker: WorkerStatus, filter: WorkerFilter): boolean {
  return (
    (!filter.taskId || worker.taskId === filter.taskId) &&
    (!filter.pipelineId || worker.pipelineId === filter.pipelineId)
  );
}

export function isFinished(phase: WorkerPhase): boolean {
  return (
    phase === WorkerPhase.SUCCEEDED || phase === WorkerPhase.FAILED || phase === WorkerPhase.STOPPED
  );
}

/**
 * Every worker the server knows of, and the history of their changes.
 * Records are replaced, never mutated, so a reader's copy stays true.
 */
export class WorkerRegistry {
  readonly #workers = new Map<string, WorkerStatus>();
  /** Every created or changed worker, in order, for watchers. */
  readonly changes: ReplayBuffer<WorkerStatus>;

  constructor(historySize = 10_000) {
    this.changes = new ReplayBuffer(historySize);
  }

  add(init: MessageInitShape<typeof WorkerStatusSchema> & { workerId: string }): WorkerStatus {
    const worker = create(WorkerStatusSchema, { phase: WorkerPhase.PENDING, ...init });
    this.#workers.set(worker.workerId, worker);
    this.changes.append(worker);
    return worker;
  }

  update(workerId: string, patch: Partial<WorkerStatus>): WorkerStatus | undefined {
    const old = this.#workers.get(workerId);
    if (old === undefined) return undefined;
    const worker: WorkerStatus = { ...old, ...patch };
    this.#workers.set(workerId, worker);
    this.changes.append(worker);
    return worker;
  }

  get(workerId: string): WorkerStatus | undefined {
    return this.#workers.get(workerId);
  }

  list(filter: WorkerFilter = {}): WorkerStatus[] {
    return [...this.#workers.values()].filter((w) => matches(w, filter));
  }

  /** Forgets workers, e.g. with an evicted pipeline. */
  remove(workerIds: Iterable<string>): void {
    for (const id of workerIds) this.#workers.delete(id);
  }

  close(): void {
    this.changes.close();
  }
}

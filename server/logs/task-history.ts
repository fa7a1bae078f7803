import { fromBinary } from "@bufbuild/protobuf";
import { JournalRecordSchema } from "../../gen/ottoscaler/store/v1/journal_pb.js";
import type { WorkerStatus } from "../../gen/ottoscaler/v1/worker_pb.js";
import { scanJournal } from "./journal/journal-scan.ts";
import { RecordKind, recordKindOf } from "./journal/record-kind.ts";
import type { BuildStore } from "./store/build-store.ts";

/** What a task's journal says of its workers, for a controller that adopts them. */
export interface TaskSoFar {
  /** Each worker's last recorded status. */
  workers: Map<string, WorkerStatus>;
  /** How many lines each worker has recorded. */
  linesPerWorker: Map<string, number>;
}

/** ScaleUp tasks as their journals keep them. */
export class TaskHistory {
  readonly #store: BuildStore;

  constructor(store: BuildStore) {
    this.#store = store;
  }

  /** Reads the task's journal once: every worker's last status and line count. */
  async soFar(taskId: string): Promise<TaskSoFar> {
    const workers = new Map<string, WorkerStatus>();
    const linesPerWorker = new Map<string, number>();
    const journal = this.#store.get("task", taskId);
    if (journal === undefined) return { workers, linesPerWorker };
    journal.flush();
    for await (const { payload } of scanJournal(journal.path, { until: journal.readableBytes })) {
      const kind = recordKindOf(payload);
      if (kind !== RecordKind.worker && kind !== RecordKind.log) continue;
      const { record } = fromBinary(JournalRecordSchema, payload);
      if (record.case === "worker" && record.value.worker !== undefined) {
        workers.set(record.value.worker.workerId, record.value.worker);
      } else if (record.case === "log" && record.value.entry !== undefined) {
        const { workerId, sequence } = record.value.entry;
        linesPerWorker.set(workerId, Math.max(linesPerWorker.get(workerId) ?? 0, Number(sequence)));
      }
    }
    return { workers, linesPerWorker };
  }
}

import type { BuildStore } from "./store/build-store.ts";
import { type JournalSoFar, readJournalSoFar } from "./store/journal-reads.ts";

/** What a task's journal says of its workers, for a controller that adopts them. */
export type TaskSoFar = Pick<JournalSoFar, "workers" | "linesPerWorker">;

/** ScaleUp tasks as their journals keep them. */
export class TaskHistory {
  readonly #store: BuildStore;

  constructor(store: BuildStore) {
    this.#store = store;
  }

  /** Every worker's last status and line count, from one read of the task's journal. */
  async soFar(taskId: string): Promise<TaskSoFar> {
    const journal = this.#store.get("task", taskId);
    if (journal === undefined) return { workers: new Map(), linesPerWorker: new Map() };
    return readJournalSoFar(journal);
  }
}

import { taskWorkerId } from "../domain/worker-id.ts";
import type { KubernetesGroupStore, WorkerGroupRecord } from "../k8s/worker-group-store.ts";
import type { TaskHistory } from "../logs/task-history.ts";
import type { Logger } from "../observability/logger.ts";
import type { TaskGroupStore, TaskManager, TaskSpec } from "../workers/task-manager.ts";

/** The task manager's view of the cluster's WorkerGroups. */
export function taskGroupStore(groups: KubernetesGroupStore): TaskGroupStore {
  return {
    save: (record) =>
      groups.save({
        taskId: record.taskId,
        task: record.spec,
        live: record.live,
        nextIndex: record.nextIndex,
      }),
  };
}

function isTaskSpec(value: unknown, taskId: string): value is TaskSpec {
  const spec = value as Partial<TaskSpec> | undefined;
  return (
    spec?.taskId === taskId &&
    typeof spec.image === "string" &&
    Array.isArray(spec.command) &&
    typeof spec.env === "object" &&
    typeof spec.resources === "object"
  );
}

/**
 * Adopts the live workers of each WorkerGroup an earlier controller left, with the status and
 * line count its journal has of each. Groups whose task this controller cannot read are left
 * alone (and their Jobs, unclaimed, deleted).
 */
export async function continueGroups(
  groups: readonly WorkerGroupRecord[],
  deps: { tasks: TaskManager; history: TaskHistory; logger: Logger },
): Promise<Set<string>> {
  const continued = new Set<string>();
  for (const group of groups) {
    if (group.live.length === 0) continue;
    if (!isTaskSpec(group.task, group.taskId)) {
      deps.logger.warn("runNotContinued", { taskId: group.taskId, error: "unreadable task spec" });
      continue;
    }
    const soFar = await deps.history.soFar(group.taskId);
    deps.tasks.continue(
      group.task,
      group.live.map((index) => {
        const id = taskWorkerId(group.taskId, index);
        return {
          index,
          previous: soFar.workers.get(id),
          linesRecorded: soFar.linesPerWorker.get(id) ?? 0,
        };
      }),
      group.nextIndex,
    );
    continued.add(group.taskId);
  }
  return continued;
}

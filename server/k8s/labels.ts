/** The one set of labels and annotations on everything Ottoscaler creates. */
export const labels = {
  managedBy: "app.kubernetes.io/managed-by",
  pipeline: "ottoscaler.io/pipeline",
  stage: "ottoscaler.io/stage",
  attempt: "ottoscaler.io/attempt",
  task: "ottoscaler.io/task",
  worker: "ottoscaler.io/worker",
} as const;

export const annotations = {
  workerId: "ottoscaler.io/worker-id",
  workerIndex: "ottoscaler.io/worker-index",
  workerCount: "ottoscaler.io/worker-count",
  /** Which controller process created it: a new process treats the rest as orphans. */
  controller: "ottoscaler.io/controller-instance",
  createdAt: "ottoscaler.io/created-at",
} as const;

export const managedBy = "ottoscaler";

/** Selects everything Ottoscaler manages. */
export const managedSelector = `${labels.managedBy}=${managedBy}`;

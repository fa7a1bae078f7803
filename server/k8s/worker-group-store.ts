import type { CustomObjectsApi, V1ObjectMeta, V1OwnerReference } from "@kubernetes/client-node";
import type { Logger } from "../observability/logger.ts";
import { Backoff } from "../util/backoff.ts";
import { sleep } from "../util/sleep.ts";
import { classifyKubernetesError } from "./errors.ts";
import { labels } from "./labels.ts";
import { formatIndexRanges, parseIndexRanges } from "./pipeline-run-resource.ts";

export const workerGroupResource = {
  group: "ottoscaler.io",
  version: "v1alpha1",
  plural: "workergroups",
  kind: "WorkerGroup",
  apiVersion: "ottoscaler.io/v1alpha1",
} as const;

export interface WorkerGroupObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string };
  spec: { task: unknown };
  status?: { live?: number; liveIndexes?: string; nextIndex?: number };
}

/** A group as the controller keeps it: its task and the indexes of its workers not ended. */
export interface WorkerGroupRecord {
  taskId: string;
  task: unknown;
  live: number[];
  nextIndex: number;
}

const { group, version, plural } = workerGroupResource;

/**
 * ScaleUp's worker groups as WorkerGroup resources (one per task id): written
 * after each change, one write at a time per group (the newest record wins),
 * each a read and a replace that retries on a conflict.
 */
export class KubernetesGroupStore {
  readonly #custom: CustomObjectsApi;
  readonly #namespace: string;
  readonly #logger: Logger;
  readonly #uids = new Map<string, string>();
  readonly #pending = new Map<string, WorkerGroupRecord>();
  readonly #writing = new Map<string, Promise<void>>();
  readonly #stop = new AbortController();

  constructor(custom: CustomObjectsApi, namespace: string, logger: Logger) {
    this.#custom = custom;
    this.#namespace = namespace;
    this.#logger = logger;
  }

  async list(): Promise<WorkerGroupRecord[]> {
    const retries = new Backoff({ initialMs: 200, maxMs: 5000 });
    for (;;) {
      try {
        const list = (await this.#custom.listNamespacedCustomObject({
          group,
          version,
          namespace: this.#namespace,
          plural,
        })) as { items: WorkerGroupObject[] };
        return list.items.map((o) => {
          if (o.metadata.uid !== undefined) this.#uids.set(o.metadata.name, o.metadata.uid);
          return {
            taskId: o.metadata.name,
            task: o.spec.task,
            live: parseIndexRanges(o.status?.liveIndexes ?? ""),
            nextIndex: o.status?.nextIndex ?? 0,
          };
        });
      } catch (cause) {
        const error = classifyKubernetesError(cause, "listing WorkerGroups");
        if (error.class !== "transient") throw error;
        if (!(await sleep(retries.next(), this.#stop.signal))) throw error;
      }
    }
  }

  ownerReferenceOf(taskId: string): V1OwnerReference | undefined {
    const uid = this.#uids.get(taskId);
    if (uid === undefined) return undefined;
    return {
      apiVersion: workerGroupResource.apiVersion,
      kind: workerGroupResource.kind,
      name: taskId,
      uid,
      controller: true,
      blockOwnerDeletion: false,
    };
  }

  /** Keeps this record of the group; resolves once it (or a newer one) is written. */
  save(record: WorkerGroupRecord): Promise<void> {
    this.#pending.set(record.taskId, record);
    let writing = this.#writing.get(record.taskId);
    if (writing === undefined) {
      writing = this.#drain(record.taskId).finally(() => this.#writing.delete(record.taskId));
      this.#writing.set(record.taskId, writing);
    }
    return writing;
  }

  close(): void {
    this.#stop.abort();
  }

  async #drain(taskId: string): Promise<void> {
    for (let record = this.#pending.get(taskId); record !== undefined; ) {
      this.#pending.delete(taskId);
      await this.#write(record);
      record = this.#pending.get(taskId);
    }
  }

  async #write(record: WorkerGroupRecord): Promise<void> {
    const retries = new Backoff({ initialMs: 200, maxMs: 5000 });
    const status = {
      live: record.live.length,
      liveIndexes: formatIndexRanges(record.live),
      nextIndex: record.nextIndex,
    };
    const name = record.taskId;
    const base = { group, version, namespace: this.#namespace, plural, name };
    while (!this.#stop.signal.aborted) {
      try {
        let object: WorkerGroupObject;
        try {
          object = (await this.#custom.getNamespacedCustomObject(base)) as WorkerGroupObject;
          object = (await this.#custom.replaceNamespacedCustomObject({
            ...base,
            body: { ...object, spec: { task: record.task } },
          })) as WorkerGroupObject;
        } catch (cause) {
          if (classifyKubernetesError(cause, "").class !== "not-found") throw cause;
          object = (await this.#custom.createNamespacedCustomObject({
            group,
            version,
            namespace: this.#namespace,
            plural,
            body: {
              apiVersion: workerGroupResource.apiVersion,
              kind: workerGroupResource.kind,
              metadata: { name, labels: { [labels.task]: name } },
              spec: { task: record.task },
            },
          })) as WorkerGroupObject;
        }
        if (object.metadata.uid !== undefined) this.#uids.set(name, object.metadata.uid);
        await this.#custom.replaceNamespacedCustomObjectStatus({
          ...base,
          body: { ...object, status },
        });
        return;
      } catch (cause) {
        const error = classifyKubernetesError(cause, `writing WorkerGroup ${name}`);
        if (error.class === "invalid" || error.class === "forbidden") {
          this.#logger.warn("runStatusFailed", { taskId: name, error: error.message });
          return;
        }
        // A conflict or an API server away: read it again and retry.
        await sleep(error.class === "conflict" ? 0 : retries.next(), this.#stop.signal);
      }
    }
  }
}

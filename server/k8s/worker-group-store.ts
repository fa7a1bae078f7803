import type { CustomObjectsApi, V1ObjectMeta, V1OwnerReference } from "@kubernetes/client-node";
import type { Logger } from "../observability/logger.ts";
import { CustomObjects, writeUntilDone } from "./custom-objects.ts";
import { errorClassOf } from "./errors.ts";
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

/**
 * ScaleUp's worker groups as WorkerGroup resources (one per task id): written
 * after each change, one write at a time per group (the newest record wins),
 * each a read and a replace that retries on a conflict.
 */
export class KubernetesGroupStore {
  readonly #objects: CustomObjects<WorkerGroupObject>;
  readonly #logger: Logger;
  /** The newest object of each group this controller has read or written. */
  readonly #known = new Map<string, WorkerGroupObject>();
  readonly #pending = new Map<string, WorkerGroupRecord>();
  readonly #writing = new Map<string, Promise<void>>();
  readonly #stop = new AbortController();

  constructor(custom: CustomObjectsApi, namespace: string, logger: Logger) {
    this.#objects = new CustomObjects(custom, workerGroupResource, namespace);
    this.#logger = logger;
  }

  async list(): Promise<WorkerGroupRecord[]> {
    const objects = await this.#objects.list(this.#stop.signal);
    return objects.map((o) => {
      this.#known.set(o.metadata.name, o);
      return {
        taskId: o.metadata.name,
        task: o.spec.task,
        live: parseIndexRanges(o.status?.liveIndexes ?? ""),
        nextIndex: o.status?.nextIndex ?? 0,
      };
    });
  }

  ownerReferenceOf(taskId: string): V1OwnerReference | undefined {
    const uid = this.#known.get(taskId)?.metadata.uid;
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

  async #read(name: string): Promise<WorkerGroupObject | undefined> {
    try {
      return await this.#objects.get(name);
    } catch (error) {
      if (errorClassOf(error) === "not-found") return undefined;
      throw error;
    }
  }

  async #write(record: WorkerGroupRecord): Promise<void> {
    const status = {
      live: record.live.length,
      liveIndexes: formatIndexRanges(record.live),
      nextIndex: record.nextIndex,
    };
    const name = record.taskId;
    const write = async () => {
      try {
        await writeOnce();
      } catch (error) {
        // Deleted under us: the next try makes it again from the record.
        if (errorClassOf(error) === "not-found") this.#known.delete(name);
        throw error;
      }
    };
    const writeOnce = async () => {
      let object = this.#known.get(name) ?? (await this.#read(name));
      object ??= await this.#objects.create({
        apiVersion: workerGroupResource.apiVersion,
        kind: workerGroupResource.kind,
        metadata: { name, labels: { [labels.task]: name } },
        spec: { task: record.task },
      });
      // The task changes only with a ScaleUp that brings another; a worker's end changes status.
      object = await this.#objects.update(object, (o) =>
        JSON.stringify(o.spec.task) === JSON.stringify(record.task)
          ? undefined
          : { ...o, spec: { task: record.task } },
      );
      object = await this.#objects.update(object, (o) => ({ ...o, status }), { status: true });
      this.#known.set(name, object);
    };
    await writeUntilDone(write, {
      signal: this.#stop.signal,
      // A refusal will not go away; anything else (the API server away, a race) may.
      isFinal: (error) => ["invalid", "forbidden"].includes(errorClassOf(error) ?? ""),
      onFinal: (error) =>
        this.#logger.warn("runStatusFailed", { taskId: name, error: String(error) }),
    });
  }
}

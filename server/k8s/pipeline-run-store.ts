import type { CustomObjectsApi, V1OwnerReference } from "@kubernetes/client-node";
import type { PipelineProgress } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { OttoscalerError } from "../domain/errors.ts";
import type { RunRecord, RunStore } from "../domain/run-record.ts";
import type { Logger } from "../observability/logger.ts";
import { Backoff } from "../util/backoff.ts";
import { sleep } from "../util/sleep.ts";
import { classifyKubernetesError, type KubernetesError } from "./errors.ts";
import type { EventRecorder } from "./event-recorder.ts";
import { labels } from "./labels.ts";
import { runEventOf } from "./pipeline-run-events.ts";
import {
  isFinalPhase,
  type PipelineRunObject,
  type PipelineRunStatus,
  pipelineRunFinalizer,
  pipelineRunResource,
  statusOfRecord,
} from "./pipeline-run-resource.ts";

/** One run's writes: the newest record not written yet, and whether a write is under way. */
interface RunWrites {
  object: PipelineRunObject;
  pending: RunRecord | undefined;
  writing: Promise<void> | undefined;
}

const { group, version, plural } = pipelineRunResource;

/**
 * The runs of one namespace as PipelineRun resources: made before a run starts,
 * their status written as the run goes (the newest record only, one write at a
 * time per run, each carrying the resourceVersion it read, so a stale writer gets
 * a conflict and never sets a run back), their finalizer dropped once the end is
 * recorded.
 */
export class KubernetesRunStore implements RunStore {
  readonly #custom: CustomObjectsApi;
  readonly #namespace: string;
  readonly #logger: Logger;
  readonly #runs = new Map<string, RunWrites>();
  readonly #stop = new AbortController();

  readonly #events: EventRecorder | undefined;

  constructor(custom: CustomObjectsApi, namespace: string, logger: Logger, events?: EventRecorder) {
    this.#custom = custom;
    this.#namespace = namespace;
    this.#logger = logger;
    this.#events = events;
  }

  observe(progress: PipelineProgress): void {
    const meta = this.#runs.get(progress.pipelineId)?.object.metadata;
    const event = runEventOf(progress);
    if (meta === undefined || event === undefined || this.#stop.signal.aborted) return;
    this.#events?.record(
      {
        apiVersion: pipelineRunResource.apiVersion,
        kind: pipelineRunResource.kind,
        name: meta.name,
        ...(meta.uid !== undefined && { uid: meta.uid }),
      },
      event.type,
      event.reason,
      event.message,
    );
  }

  /** Makes the PipelineRun of a new run, named after its pipeline id. */
  async create(pipelineId: string, pipeline: unknown): Promise<PipelineRunObject> {
    const body: PipelineRunObject = {
      apiVersion: pipelineRunResource.apiVersion,
      kind: pipelineRunResource.kind,
      metadata: {
        name: pipelineId,
        namespace: this.#namespace,
        finalizers: [pipelineRunFinalizer],
        labels: { [labels.pipeline]: pipelineId },
      },
      spec: { pipeline },
    };
    let created: PipelineRunObject;
    try {
      created = (await this.#custom.createNamespacedCustomObject({
        group,
        version,
        namespace: this.#namespace,
        plural,
        body,
      })) as PipelineRunObject;
    } catch (cause) {
      const error = classifyKubernetesError(cause, `creating PipelineRun ${pipelineId}`);
      if (error.class === "conflict") {
        throw new OttoscalerError(
          "already-exists",
          `pipelineId: a PipelineRun named "${pipelineId}" already exists in namespace ${this.#namespace}`,
          { cause },
        );
      }
      throw error;
    }
    this.track(pipelineId, created);
    return created;
  }

  /** Every PipelineRun of the namespace, riding out an API server that is briefly away. */
  async list(signal: AbortSignal = this.#stop.signal): Promise<PipelineRunObject[]> {
    const retries = new Backoff({ initialMs: 200, maxMs: 5000 });
    for (;;) {
      try {
        const list = (await this.#custom.listNamespacedCustomObject({
          group,
          version,
          namespace: this.#namespace,
          plural,
        })) as { items: PipelineRunObject[] };
        return list.items;
      } catch (cause) {
        const error = classifyKubernetesError(cause, "listing PipelineRuns");
        if (error.class !== "transient" || signal.aborted) throw error;
        if (!(await sleep(retries.next(), signal))) throw error;
      }
    }
  }

  /** The list as the API server answers it (with its resourceVersion), for an informer. */
  async listRaw(): Promise<unknown> {
    return this.#custom.listNamespacedCustomObject({
      group,
      version,
      namespace: this.#namespace,
      plural,
    });
  }

  /** From now on, records of `pipelineId` are written to this object. */
  track(pipelineId: string, object: PipelineRunObject): void {
    const known = this.#runs.get(pipelineId);
    if (known !== undefined) {
      if (newer(object, known.object)) known.object = object;
      return;
    }
    this.#runs.set(pipelineId, { object, pending: undefined, writing: undefined });
  }

  /** The reference worker Jobs carry, so they go when their PipelineRun does. */
  ownerReferenceOf(pipelineId: string): V1OwnerReference | undefined {
    const meta = this.#runs.get(pipelineId)?.object.metadata;
    if (meta?.uid === undefined) return undefined;
    return {
      apiVersion: pipelineRunResource.apiVersion,
      kind: pipelineRunResource.kind,
      name: meta.name,
      uid: meta.uid,
      controller: true,
      blockOwnerDeletion: false,
    };
  }

  /** A PipelineRun whose spec is not a valid pipeline: its status says why, and nothing runs. */
  async markInvalid(pipelineId: string, object: PipelineRunObject, message: string): Promise<void> {
    const status: PipelineRunStatus = {
      pipelineId,
      phase: "INVALID",
      progress: "0/0",
      ...(object.metadata.generation !== undefined && {
        observedGeneration: object.metadata.generation,
      }),
      conditions: [
        {
          type: "Valid",
          status: "False",
          reason: "InvalidSpec",
          message,
          lastTransitionTime: new Date().toISOString(),
        },
      ],
    };
    try {
      await this.#custom.replaceNamespacedCustomObjectStatus({
        group,
        version,
        namespace: this.#namespace,
        plural,
        name: object.metadata.name,
        body: { ...object, status },
      });
    } catch (cause) {
      const error = classifyKubernetesError(cause, `writing the status of ${pipelineId}`);
      // A conflict: it changed meanwhile, and the change brings it here again.
      if (error.class !== "not-found" && error.class !== "conflict") throw error;
    }
  }

  save(record: RunRecord): void {
    const run = this.#runs.get(record.pipelineId);
    if (run === undefined || this.#stop.signal.aborted) return;
    run.pending = record;
    run.writing ??= this.#drain(record.pipelineId, run);
  }

  async settled(pipelineId: string): Promise<void> {
    for (let run = this.#runs.get(pipelineId); run?.writing !== undefined; ) {
      await run.writing;
    }
  }

  /** Stops writing (the controller is no longer the one acting). */
  close(): void {
    this.#stop.abort();
  }

  async #drain(pipelineId: string, run: RunWrites): Promise<void> {
    try {
      while (run.pending !== undefined && !this.#stop.signal.aborted) {
        const record = run.pending;
        run.pending = undefined;
        await this.#write(run, record);
      }
    } finally {
      run.writing = undefined;
    }
    if (run.pending !== undefined && !this.#stop.signal.aborted)
      run.writing = this.#drain(pipelineId, run);
  }

  /** Writes one record, reading the object again on a conflict; never sets the status back. */
  async #write(run: RunWrites, record: RunRecord): Promise<void> {
    const retries = new Backoff({ initialMs: 200, maxMs: 5000 });
    while (!this.#stop.signal.aborted) {
      const status: PipelineRunStatus = {
        ...statusOfRecord(record, run.object.metadata.generation),
        conditions: run.object.status?.conditions ?? [],
      };
      if ((run.object.status?.sequence ?? 0) > record.sequence) {
        this.#logger.warn("runStatusStale", {
          pipelineId: record.pipelineId,
          stored: run.object.status?.sequence,
          ours: record.sequence,
        });
        return;
      }
      try {
        run.object = (await this.#custom.replaceNamespacedCustomObjectStatus({
          group,
          version,
          namespace: this.#namespace,
          plural,
          name: run.object.metadata.name,
          body: { ...run.object, status },
        })) as PipelineRunObject;
        if (isFinalPhase(status.phase)) await this.#release(run);
        return;
      } catch (cause) {
        const error = classifyKubernetesError(cause, `writing the status of ${record.pipelineId}`);
        if (error.class === "not-found") return;
        if (error.class === "conflict") {
          await this.#reread(run, error);
          continue;
        }
        if (error.class !== "transient" || this.#stop.signal.aborted) {
          this.#logger.warn("runStatusFailed", {
            pipelineId: record.pipelineId,
            error: error.message,
          });
          return;
        }
        await sleep(retries.next(), this.#stop.signal);
      }
    }
  }

  async #reread(run: RunWrites, conflict: KubernetesError): Promise<void> {
    try {
      run.object = (await this.#custom.getNamespacedCustomObject({
        group,
        version,
        namespace: this.#namespace,
        plural,
        name: run.object.metadata.name,
      })) as PipelineRunObject;
    } catch (cause) {
      const error = classifyKubernetesError(cause, "reading a PipelineRun again");
      if (error.class === "not-found") throw conflict;
      await sleep(500, this.#stop.signal);
    }
  }

  /**
   * Records on the PipelineRun that the run is to be cancelled (`spec.cancel`), so a
   * controller that continues it after a restart cancels it too.
   */
  async requestCancel(pipelineId: string, reason: string): Promise<void> {
    const run = this.#runs.get(pipelineId);
    if (run === undefined) return;
    for (let tries = 0; tries < 5; tries++) {
      try {
        run.object = (await this.#custom.replaceNamespacedCustomObject({
          group,
          version,
          namespace: this.#namespace,
          plural,
          name: run.object.metadata.name,
          body: { ...run.object, spec: { ...run.object.spec, cancel: { reason } } },
        })) as PipelineRunObject;
        return;
      } catch (cause) {
        const error = classifyKubernetesError(cause, `recording the cancel of ${pipelineId}`);
        if (error.class === "not-found") return;
        if (error.class !== "conflict") throw error;
        await this.#reread(run, error);
      }
    }
  }

  /**
   * Takes on a PipelineRun this controller did not make (applied with kubectl): its status is
   * written from now on, and it gets the finalizer, so deleting it cancels the run first.
   */
  async adopt(pipelineId: string, object: PipelineRunObject): Promise<void> {
    this.track(pipelineId, object);
    const run = this.#runs.get(pipelineId);
    if (run === undefined || run.object.metadata.finalizers?.includes(pipelineRunFinalizer)) return;
    for (let tries = 0; tries < 5; tries++) {
      try {
        run.object = (await this.#custom.replaceNamespacedCustomObject({
          group,
          version,
          namespace: this.#namespace,
          plural,
          name: run.object.metadata.name,
          body: {
            ...run.object,
            metadata: {
              ...run.object.metadata,
              finalizers: [...(run.object.metadata.finalizers ?? []), pipelineRunFinalizer],
            },
          },
        })) as PipelineRunObject;
        return;
      } catch (cause) {
        const error = classifyKubernetesError(cause, `adopting PipelineRun ${pipelineId}`);
        if (error.class !== "conflict") throw error;
        await this.#reread(run, error);
        if (run.object.metadata.finalizers?.includes(pipelineRunFinalizer)) return;
      }
    }
  }

  /** A PipelineRun being deleted whose run is over (or never ran here): let it go. */
  async release(pipelineId: string, object: PipelineRunObject): Promise<void> {
    this.track(pipelineId, object);
    const run = this.#runs.get(pipelineId);
    if (run !== undefined) await this.#release(run);
  }

  /** The run's end is recorded: its finalizer has done its job. */
  async #release(run: RunWrites): Promise<void> {
    const finalizers = run.object.metadata.finalizers ?? [];
    if (!finalizers.includes(pipelineRunFinalizer)) return;
    const retries = new Backoff({ initialMs: 200, maxMs: 5000 });
    for (let tries = 0; tries < 20; tries++) {
      try {
        run.object = (await this.#custom.replaceNamespacedCustomObject({
          group,
          version,
          namespace: this.#namespace,
          plural,
          name: run.object.metadata.name,
          body: {
            ...run.object,
            metadata: {
              ...run.object.metadata,
              finalizers: (run.object.metadata.finalizers ?? []).filter(
                (f) => f !== pipelineRunFinalizer,
              ),
            },
          },
        })) as PipelineRunObject;
        return;
      } catch (cause) {
        const error = classifyKubernetesError(cause, "removing a PipelineRun's finalizer");
        if (error.class === "not-found") return;
        if (error.class === "conflict") await this.#reread(run, error);
        else await sleep(retries.next(), this.#stop.signal);
      }
    }
  }
}

function newer(a: PipelineRunObject, b: PipelineRunObject): boolean {
  return Number(a.metadata.resourceVersion ?? 0) > Number(b.metadata.resourceVersion ?? 0);
}

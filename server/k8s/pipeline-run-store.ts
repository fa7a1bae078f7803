import type { CustomObjectsApi, V1OwnerReference } from "@kubernetes/client-node";
import type { PipelineProgress } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { OttoscalerError } from "../domain/errors.ts";
import type { RunRecord, RunStore } from "../domain/run-record.ts";
import type { Logger } from "../observability/logger.ts";
import { CustomObjects, writeUntilDone } from "./custom-objects.ts";
import { errorClassOf } from "./errors.ts";
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
  /** The run's newest record, taken when the next write begins. */
  pending: (() => RunRecord) | undefined;
  writing: Promise<void> | undefined;
}

/** The reference an object makes to a PipelineRun it belongs to (an ownerReference, an Event). */
function referenceOf(object: PipelineRunObject) {
  return {
    apiVersion: pipelineRunResource.apiVersion,
    kind: pipelineRunResource.kind,
    name: object.metadata.name,
    ...(object.metadata.uid !== undefined && { uid: object.metadata.uid }),
  };
}

/**
 * The runs of one namespace as PipelineRun resources: made before a run starts,
 * their status written as the run goes (the newest record only, one write at a
 * time per run, each carrying the resourceVersion it read, so a stale writer gets
 * a conflict and never sets a run back), their finalizer dropped once the end is
 * recorded.
 */
export class KubernetesRunStore implements RunStore {
  readonly #objects: CustomObjects<PipelineRunObject>;
  readonly #namespace: string;
  readonly #logger: Logger;
  readonly #events: EventRecorder | undefined;
  readonly #runs = new Map<string, RunWrites>();
  readonly #stop = new AbortController();

  constructor(custom: CustomObjectsApi, namespace: string, logger: Logger, events?: EventRecorder) {
    this.#objects = new CustomObjects(custom, pipelineRunResource, namespace);
    this.#namespace = namespace;
    this.#logger = logger;
    this.#events = events;
  }

  observe(progress: PipelineProgress): void {
    const object = this.#runs.get(progress.pipelineId)?.object;
    const event = runEventOf(progress);
    if (object === undefined || event === undefined || this.#stop.signal.aborted) return;
    this.#events?.record(referenceOf(object), event.type, event.reason, event.message);
  }

  /** Makes the PipelineRun of a new run, named after its pipeline id. */
  /** @param traceparent kept in the spec, so that a controller continuing the run passes it on. */
  async create(
    pipelineId: string,
    pipeline: unknown,
    traceparent?: string,
  ): Promise<PipelineRunObject> {
    let created: PipelineRunObject;
    try {
      created = await this.#objects.create({
        apiVersion: pipelineRunResource.apiVersion,
        kind: pipelineRunResource.kind,
        metadata: {
          name: pipelineId,
          namespace: this.#namespace,
          finalizers: [pipelineRunFinalizer],
          labels: { [labels.pipeline]: pipelineId },
        },
        spec: { pipeline, ...(traceparent !== undefined && { traceparent }) },
      });
    } catch (error) {
      if (errorClassOf(error) !== "conflict") throw error;
      throw new OttoscalerError(
        "already-exists",
        `pipelineId: a PipelineRun named "${pipelineId}" already exists in namespace ${this.#namespace}`,
        { cause: error },
      );
    }
    this.track(pipelineId, created);
    return created;
  }

  /** Every PipelineRun of the namespace, riding out an API server that is briefly away. */
  list(): Promise<PipelineRunObject[]> {
    return this.#objects.list(this.#stop.signal);
  }

  /** The list as the API server answers it (with its resourceVersion), for an informer. */
  listRaw(): Promise<unknown> {
    return this.#objects.listRaw();
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
    const object = this.#runs.get(pipelineId)?.object;
    if (object?.metadata.uid === undefined) return undefined;
    return {
      ...referenceOf(object),
      uid: object.metadata.uid,
      controller: true,
      blockOwnerDeletion: false,
    };
  }

  /**
   * Takes on a PipelineRun this controller did not make (applied with kubectl): its status is
   * written from now on, and it gets the finalizer, so deleting it cancels the run first.
   */
  async adopt(pipelineId: string, object: PipelineRunObject): Promise<void> {
    this.track(pipelineId, object);
    await this.#update(pipelineId, (o) =>
      o.metadata.finalizers?.includes(pipelineRunFinalizer)
        ? undefined
        : {
            ...o,
            metadata: {
              ...o.metadata,
              finalizers: [...(o.metadata.finalizers ?? []), pipelineRunFinalizer],
            },
          },
    );
  }

  /**
   * Records on the PipelineRun that the run is to be cancelled (`spec.cancel`), so a
   * controller that continues it after a restart cancels it too.
   */
  async requestCancel(pipelineId: string, reason: string): Promise<void> {
    await this.#update(pipelineId, (o) => ({ ...o, spec: { ...o.spec, cancel: { reason } } }));
  }

  /** A PipelineRun being deleted whose run is over (or never ran here): let it go. */
  async release(pipelineId: string, object: PipelineRunObject): Promise<void> {
    this.track(pipelineId, object);
    await this.#release(pipelineId);
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
      await this.#objects.replaceStatus({ ...object, status });
    } catch (error) {
      // A conflict: it changed meanwhile, and the change brings it here again.
      if (errorClassOf(error) !== "not-found" && errorClassOf(error) !== "conflict") throw error;
    }
  }

  save(pipelineId: string, snapshot: () => RunRecord): void {
    const run = this.#runs.get(pipelineId);
    if (run === undefined || this.#stop.signal.aborted) return;
    run.pending = snapshot;
    run.writing ??= this.#drain(run);
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

  async #drain(run: RunWrites): Promise<void> {
    try {
      while (run.pending !== undefined && !this.#stop.signal.aborted) {
        const record = run.pending();
        run.pending = undefined;
        await this.#write(run, record);
      }
    } finally {
      run.writing = undefined;
    }
    if (run.pending !== undefined && !this.#stop.signal.aborted) run.writing = this.#drain(run);
  }

  /**
   * Writes one record, reading the object again on a conflict, riding out an API server that
   * is away; never sets the status back: a stored status further on than ours wins.
   */
  async #write(run: RunWrites, record: RunRecord): Promise<void> {
    const write = async () => {
      run.object = await this.#objects.update(
        run.object,
        (o) => {
          if ((o.status?.sequence ?? 0) > record.sequence) {
            this.#logger.warn("runStatusStale", {
              pipelineId: record.pipelineId,
              stored: o.status?.sequence,
              ours: record.sequence,
            });
            return undefined;
          }
          const status = statusOfRecord(record, o.metadata.generation);
          return { ...o, status: { ...status, conditions: o.status?.conditions ?? [] } };
        },
        { status: true },
      );
      if (isFinalPhase(statusOfRecord(record).phase)) await this.#release(record.pipelineId);
    };
    await writeUntilDone(write, {
      signal: this.#stop.signal,
      isFinal: (error) => errorClassOf(error) !== "transient",
      onFinal: (error) => {
        // Gone: nothing to write to. Anything else is a bug or a refusal worth a warning.
        if (errorClassOf(error) === "not-found") return;
        this.#logger.warn("runStatusFailed", {
          pipelineId: record.pipelineId,
          error: String(error),
        });
      },
    });
  }

  /** Applies `change` to a tracked run's object, riding out conflicts. */
  async #update(
    pipelineId: string,
    change: (o: PipelineRunObject) => PipelineRunObject | undefined,
  ): Promise<void> {
    const run = this.#runs.get(pipelineId);
    if (run === undefined) return;
    try {
      run.object = await this.#objects.update(run.object, change);
    } catch (error) {
      if (errorClassOf(error) !== "not-found") throw error;
    }
  }

  /** The run's end is recorded (or it never ran): its finalizer has done its job. */
  async #release(pipelineId: string): Promise<void> {
    await this.#update(pipelineId, (o) =>
      o.metadata.finalizers?.includes(pipelineRunFinalizer)
        ? {
            ...o,
            metadata: {
              ...o.metadata,
              finalizers: o.metadata.finalizers.filter((f) => f !== pipelineRunFinalizer),
            },
          }
        : undefined,
    );
  }
}

function newer(a: PipelineRunObject, b: PipelineRunObject): boolean {
  return Number(a.metadata.resourceVersion ?? 0) > Number(b.metadata.resourceVersion ?? 0);
}

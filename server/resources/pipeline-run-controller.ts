import type { KubeConfig } from "@kubernetes/client-node";
import { OttoscalerError } from "../domain/errors.ts";
import { type RunningInformer, startInformer } from "../k8s/informer.ts";
import {
  isFinalPhase,
  type PipelineRunObject,
  pipelineRunFinalizer,
  pipelineRunResource,
} from "../k8s/pipeline-run-resource.ts";
import type { KubernetesRunStore } from "../k8s/pipeline-run-store.ts";
import { WorkQueue } from "../util/work-queue.ts";
import { pipelineIdOf } from "./pipeline-run-spec.ts";
import { type ContinuationDeps, startOrContinue } from "./run-continuation.ts";

export interface PipelineRunControllerDeps extends ContinuationDeps {
  kc: KubeConfig;
  namespace: string;
  runs: KubernetesRunStore;
}

/** Cancelling a run that has ended (or is ending) already is not a failure here. */
function ignoreEnded(error: unknown): void {
  if (error instanceof OttoscalerError && error.kind === "precondition") return;
  throw error;
}

/**
 * PipelineRuns as requests, the sample-controller way: the informer only
 * enqueues names; `reconcile(name)` reads the cache and acts, and throws on
 * failure for the queue to retry. One applied with kubectl starts its run (an
 * invalid one gets a condition naming the field), `spec.cancel` cancels it, and
 * deleting a running one cancels it before its finalizer lets it go.
 */
export class PipelineRunController {
  readonly #deps: PipelineRunControllerDeps;
  readonly #queue: WorkQueue;
  /** The pipeline id of each PipelineRun seen, for when one is gone from the cache. */
  readonly #pipelineIds = new Map<string, string>();
  #informer: RunningInformer<PipelineRunObject> | undefined;

  constructor(deps: PipelineRunControllerDeps) {
    this.#deps = deps;
    this.#queue = new WorkQueue((name) => this.reconcile(name), {
      onError: (name, error) =>
        deps.logger.warn("runReconcileFailed", { pipelineRun: name, error: String(error) }),
    });
  }

  async start(): Promise<void> {
    const { kc, namespace, runs, logger } = this.#deps;
    const { group, version, plural } = pipelineRunResource;
    const enqueue = (object: PipelineRunObject) => this.#queue.add(object.metadata.name);
    this.#informer = startInformer<PipelineRunObject>(
      kc,
      {
        kind: pipelineRunResource.kind,
        path: `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
        labelSelector: "",
        list: async () => (await runs.listRaw()) as never,
      },
      {
        onChange: enqueue,
        onResync: () => {
          for (const o of this.#informer?.cache.list(namespace) ?? []) enqueue(o);
        },
      },
      logger,
    );
    await this.#informer.firstSync;
  }

  async reconcile(name: string): Promise<void> {
    const { engine, runs, namespace } = this.#deps;
    const object = this.#informer?.cache.get(name, namespace);
    if (object === undefined) {
      // Deleted without our finalizer (it was removed by hand): its run goes too.
      const gone = this.#pipelineIds.get(name);
      this.#pipelineIds.delete(name);
      if (gone !== undefined && engine.isRunning(gone)) {
        await engine.cancel(gone, `its PipelineRun ${name} was deleted`).catch(ignoreEnded);
      }
      return;
    }
    const pipelineId = pipelineIdOf(object);
    this.#pipelineIds.set(name, pipelineId);
    if (object.metadata.deletionTimestamp !== undefined) {
      if (engine.isRunning(pipelineId)) {
        // Its end is recorded and the finalizer dropped by the run store once it has stopped.
        await engine.cancel(pipelineId, `its PipelineRun ${name} was deleted`).catch(ignoreEnded);
      } else if (object.metadata.finalizers?.includes(pipelineRunFinalizer)) {
        await runs.release(pipelineId, object);
      }
      return;
    }
    if (isFinalPhase(object.status?.phase)) return;
    if (engine.isRunning(pipelineId)) {
      const cancel = object.spec.cancel;
      if (cancel !== undefined) {
        await engine
          .cancel(pipelineId, cancel.reason || `cancelled through its PipelineRun ${name}`)
          .catch(ignoreEnded);
      }
      return;
    }
    // Started by ExecutePipeline here (or ended here already): nothing to start.
    if (engine.isKnown(pipelineId)) return;
    await startOrContinue(object, this.#deps);
    if (object.spec.cancel !== undefined) this.#queue.add(name);
  }

  async stop(): Promise<void> {
    this.#queue.stop();
    await this.#informer?.stop();
  }
}

import { CustomObjectsApi, KubeConfig, makeInformer } from "@kubernetes/client-node";
import type { PipelineRunObject } from "../k8s/pipeline-run-resource.ts";
import { pipelineRunResource } from "../k8s/pipeline-run-resource.ts";
import { Waiter } from "./waiter.ts";

/** The test's own watch of a namespace's PipelineRuns: the newest of each, and which went. */
export class PipelineRunWatch implements AsyncDisposable {
  readonly objects = new Map<string, PipelineRunObject>();
  readonly deleted = new Set<string>();
  readonly changed = new Waiter();
  readonly #informer;

  private constructor(namespace: string) {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const custom = kc.makeApiClient(CustomObjectsApi);
    const { group, version, plural } = pipelineRunResource;
    this.#informer = makeInformer<PipelineRunObject>(
      kc,
      `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
      async () =>
        (await custom.listNamespacedCustomObject({ group, version, namespace, plural })) as never,
    );
    const seen = (o: PipelineRunObject, gone = false) => {
      const name = o.metadata.name;
      if (gone) {
        this.objects.delete(name);
        this.deleted.add(name);
      } else {
        this.objects.set(name, o);
        this.deleted.delete(name);
      }
      this.changed.notify();
    };
    this.#informer.on("add", (o) => seen(o));
    this.#informer.on("update", (o) => seen(o));
    this.#informer.on("delete", (o) => seen(o, true));
  }

  static async start(namespace: string): Promise<PipelineRunWatch> {
    const watch = new PipelineRunWatch(namespace);
    await watch.#informer.start();
    return watch;
  }

  /** Resolves with the PipelineRun once `check` holds for it. */
  async until(name: string, check: (o: PipelineRunObject) => boolean): Promise<PipelineRunObject> {
    await this.changed.until(() => {
      const o = this.objects.get(name);
      return o !== undefined && check(o);
    });
    return this.objects.get(name) as PipelineRunObject;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#informer.stop();
  }
}

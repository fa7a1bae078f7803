import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from "@kubernetes/client-node";
import { Waiter } from "./waiter.ts";

export interface PodSample {
  at: number;
  name: string;
  phase: string;
  labels: Record<string, string>;
}

/**
 * The test's own view of a namespace's pods, from a watch of its own: every
 * phase each pod was seen in, and how many were Running at once.
 */
export class PodWatch implements AsyncDisposable {
  readonly samples: PodSample[] = [];
  readonly running = new Set<string>();
  readonly everRunning = new Set<string>();
  maxRunning = 0;
  /** Real container run times, as the kubelet reported them, per pod. */
  readonly runs = new Map<string, { start: number; end: number; labels: Record<string, string> }>();
  /** Each pod's controlling owner, as "Kind/name" (a worker pod's is its Job). */
  readonly owners = new Map<string, string>();
  readonly changed = new Waiter();
  readonly #informer;

  private constructor(namespace: string, selector: string) {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const core = kc.makeApiClient(CoreV1Api);
    this.#informer = makeInformer<V1Pod>(
      kc,
      `/api/v1/namespaces/${namespace}/pods`,
      () => core.listNamespacedPod({ namespace, labelSelector: selector }),
      selector,
    );
    const seen = (pod: V1Pod, deleted = false) => {
      const name = pod.metadata?.name ?? "";
      const phase = deleted ? "Deleted" : (pod.status?.phase ?? "Unknown");
      this.samples.push({ at: Date.now(), name, phase, labels: pod.metadata?.labels ?? {} });
      const owner = pod.metadata?.ownerReferences?.find((o) => o.controller === true);
      if (owner !== undefined) this.owners.set(name, `${owner.kind}/${owner.name}`);
      if (phase === "Running") {
        this.running.add(name);
        this.everRunning.add(name);
      } else {
        this.running.delete(name);
      }
      this.maxRunning = Math.max(this.maxRunning, this.running.size);
      const t = pod.status?.containerStatuses?.[0]?.state?.terminated;
      if (t?.startedAt && t.finishedAt) {
        this.runs.set(name, {
          start: new Date(t.startedAt).getTime(),
          end: new Date(t.finishedAt).getTime(),
          labels: pod.metadata?.labels ?? {},
        });
      }
      this.changed.notify();
    };
    this.#informer.on("add", (p) => seen(p));
    this.#informer.on("update", (p) => seen(p));
    this.#informer.on("delete", (p) => seen(p, true));
  }

  static async start(namespace: string, selector = "app.kubernetes.io/managed-by=ottoscaler") {
    const watch = new PodWatch(namespace, selector);
    await watch.#informer.start();
    return watch;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#informer.stop();
  }
}

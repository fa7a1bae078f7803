import { CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { type RunningInformer, startInformer } from "../server/k8s/informer.ts";
import { silentLogger } from "../server/observability/logger.ts";

type Labels = Record<string, string>;

interface Waiting {
  check: () => boolean;
  resolve: (at: number) => void;
}

/**
 * The benchmark's own view of one namespace's pods: a list+watch (re-listing
 * after any error, e.g. a kube-apiserver restart) that both sides are
 * observed through, so neither gets a cheaper observer than the other.
 * `until` resolves with the performance.now() of the event that made its
 * condition true.
 */
export class NamespacePods implements AsyncDisposable {
  readonly namespace: string;
  readonly #informer: RunningInformer<V1Pod>;
  /** Every pod ever seen, deleted ones included: name to labels. */
  readonly #seen = new Map<string, Labels>();
  #waiting: Waiting[] = [];

  private constructor(namespace: string, informer: RunningInformer<V1Pod>) {
    this.namespace = namespace;
    this.#informer = informer;
  }

  static async start(kc: KubeConfig, namespace: string): Promise<NamespacePods> {
    const core = kc.makeApiClient(CoreV1Api);
    let watch: NamespacePods | undefined;
    const notify = () => {
      if (watch !== undefined) watch.#notify();
    };
    const changed = (pod: V1Pod) => {
      const name = pod.metadata?.name;
      if (watch !== undefined && name !== undefined) {
        watch.#seen.set(name, pod.metadata?.labels ?? {});
      }
      notify();
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const informer = await startInformer<V1Pod>(
          kc,
          {
            kind: "Pod",
            path: `/api/v1/namespaces/${namespace}/pods`,
            labelSelector: "",
            list: () => core.listNamespacedPod({ namespace }),
          },
          { onChange: changed, onResync: notify },
          silentLogger,
        );
        watch = new NamespacePods(namespace, informer);
        for (const pod of informer.cache.list(namespace)) changed(pod);
        return watch;
      } catch (error) {
        if (attempt >= 5) throw error;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** Pods carrying all of `selector`, optionally only those in `phase`. */
  pods(selector: Labels, phase?: string): V1Pod[] {
    return this.#informer.cache.list(this.namespace).filter((pod) => {
      const have = pod.metadata?.labels ?? {};
      if (!Object.entries(selector).every(([k, v]) => have[k] === v)) return false;
      return phase === undefined || pod.status?.phase === phase;
    });
  }

  /** Names of every pod carrying all of `selector` seen so far, deleted ones included. */
  everSeen(selector: Labels): string[] {
    return [...this.#seen]
      .filter(([, have]) => Object.entries(selector).every(([k, v]) => have[k] === v))
      .map(([name]) => name);
  }

  count(selector: Labels, phase?: string): number {
    return this.pods(selector, phase).length;
  }

  /** "3 Running, 7 Pending" for the pods of `selector`, for error messages. */
  describe(selector: Labels): string {
    const phases = new Map<string, number>();
    for (const pod of this.pods(selector)) {
      const phase = pod.status?.phase ?? "Unknown";
      phases.set(phase, (phases.get(phase) ?? 0) + 1);
    }
    if (phases.size === 0) return "no pods";
    return [...phases].map(([phase, n]) => `${n} ${phase}`).join(", ");
  }

  /** When `check` first held (now, if it already does), or a rejection after `timeoutMs`. */
  until(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
    if (check()) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const waiting: Waiting = {
        check,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      const timer = setTimeout(() => {
        this.#waiting = this.#waiting.filter((w) => w !== waiting);
        reject(new Error(`${what}: not reached in ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.#waiting.push(waiting);
    });
  }

  #notify(): void {
    if (this.#waiting.length === 0) return;
    const at = performance.now();
    this.#waiting = this.#waiting.filter((w) => {
      if (!w.check()) return true;
      w.resolve(at);
      return false;
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#informer.stop();
  }
}

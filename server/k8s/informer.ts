import type {
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
  ObjectCache,
} from "@kubernetes/client-node";
import type { Logger } from "../observability/logger.ts";
import { Backoff } from "../util/backoff.ts";
import { clientNode } from "./client-node.ts";

export interface WatchedKind<T extends KubernetesObject> {
  kind: string;
  /** Watch path, e.g. /api/v1/namespaces/NS/pods. */
  path: string;
  labelSelector: string;
  list: () => Promise<KubernetesListObject<T>>;
}

export interface RunningInformer<T extends KubernetesObject> {
  cache: ObjectCache<T>;
  /** True while the cache holds a fresh list and a watch follows it. */
  readonly synced: boolean;
  /** Resolves once the first list has landed in the cache; until then it keeps trying. */
  firstSync: Promise<void>;
  stop(): Promise<void>;
}

/**
 * One informer for one kind, kept alive: client-node's informer stops on any
 * error but 410 Gone, so on every error this re-lists and re-watches, with
 * backoff (reset once a list succeeds). `onChange` gets every object that was added, changed or deleted,
 * and `onResync` every (re)connection, when events may have been missed.
 */
export function startInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  kind: WatchedKind<T>,
  handlers: { onChange: (obj: T) => void; onResync: () => void },
  logger: Logger,
): RunningInformer<T> {
  let synced = false;
  const retries = new Backoff({ initialMs: 200, maxMs: 5000 });
  let markSynced!: () => void;
  const firstSync = new Promise<void>((resolve) => {
    markSynced = resolve;
  });
  // The informer has no event for "listed": a list that resolved is about to fill the cache.
  const list = async () => {
    const result = await kind.list();
    setImmediate(() => {
      synced = true;
      retries.reset();
      markSynced();
    });
    return result;
  };
  const informer = clientNode().makeInformer<T>(kc, kind.path, list, kind.labelSelector);
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const restart = () => {
    retry = undefined;
    if (stopped) return;
    // A failure shows up as an error event, which schedules the next try.
    informer.start().catch(() => {});
  };
  informer.on("add", handlers.onChange);
  informer.on("update", handlers.onChange);
  informer.on("delete", handlers.onChange);
  informer.on("connect", () => handlers.onResync());
  informer.on("error", (error: unknown) => {
    synced = false;
    if (stopped || retry !== undefined) return;
    const delay = Math.round(retries.next());
    logger.warn("informerRestarting", { kind: kind.kind, delayMs: delay, error: String(error) });
    retry = setTimeout(restart, delay);
  });
  restart();
  return {
    cache: informer,
    get synced() {
      return synced;
    },
    firstSync,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await informer.stop();
    },
  };
}

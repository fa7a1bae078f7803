import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  type ObjectCache,
} from "@kubernetes/client-node";
import type { Logger } from "../observability/logger.ts";

export interface WatchedKind<T extends KubernetesObject> {
  kind: string;
  /** Watch path, e.g. /api/v1/namespaces/NS/pods. */
  path: string;
  labelSelector: string;
  list: () => Promise<KubernetesListObject<T>>;
}

export interface RunningInformer<T extends KubernetesObject> {
  cache: ObjectCache<T>;
  /** True once the first list has landed in the cache. */
  readonly synced: boolean;
  stop(): Promise<void>;
}

/**
 * One informer for one kind, kept alive: client-node's informer stops on any
 * error but 410 Gone, so on every error this re-lists and re-watches, with
 * backoff. `onChange` gets every object that was added, changed or deleted,
 * and `onResync` every (re)connection, when events may have been missed.
 */
export async function startInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  kind: WatchedKind<T>,
  handlers: { onChange: (obj: T) => void; onResync: () => void },
  logger: Logger,
): Promise<RunningInformer<T>> {
  const informer = makeInformer<T>(kc, kind.path, kind.list, kind.labelSelector);
  let stopped = false;
  let synced = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;
  const restart = () => {
    retry = undefined;
    if (stopped) return;
    informer.start().then(
      () => {
        synced = true;
      },
      // The error event below schedules the next try.
      () => {},
    );
  };
  informer.on("add", handlers.onChange);
  informer.on("update", handlers.onChange);
  informer.on("delete", handlers.onChange);
  informer.on("connect", () => {
    failures = 0;
    handlers.onResync();
  });
  informer.on("error", (error: unknown) => {
    if (stopped || retry !== undefined) return;
    const delay = Math.min(200 * 2 ** failures++, 5000);
    logger.warn("informerRestarting", { kind: kind.kind, delayMs: delay, error: String(error) });
    retry = setTimeout(restart, delay);
  });
  await informer.start();
  synced = true;
  return {
    cache: informer,
    get synced() {
      return synced;
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await informer.stop();
    },
  };
}

import type { Client } from "@connectrpc/connect";
import type { OttoscalerService } from "../gen/ottoscaler/v1/ottoscaler_pb.js";
import { labels } from "../server/k8s/labels.ts";
import { baselineJob, baselineLabel, podSettings } from "./k8s-baseline-job.ts";
import { kubectl } from "./k8s-kubectl.ts";
import type { NamespacePods } from "./k8s-pod-watch.ts";

/** One side's scale-up and tear-down, in milliseconds. */
export interface ScaleSample {
  /** The call (ScaleUp, or `kubectl create`) until `workers` pods of it are Running. */
  upMs: number;
  /** The tear-down call (ScaleDown, or `kubectl delete --cascade=foreground`) until none of its pods is Pending or Running any more. */
  stoppedMs: number;
  /** The tear-down call until its pods are gone from the API (the kubelet's clean-up included). */
  downMs: number;
  /** How long the tear-down call itself took to return. */
  downCallMs: number;
  /**
   * Pods created after the tear-down call began: the Job controller replacing
   * a pod the deletion is terminating, on a Job that is itself being deleted.
   */
  replacementPods: number;
}

export interface ScaleSide {
  namespace: string;
  pods: NamespacePods;
}

const command = "sleep 60";

/** Ours: ScaleUp(workers) on the real server, then ScaleDown(workers). */
export async function oursScale(
  client: Client<typeof OttoscalerService>,
  side: ScaleSide,
  o: { id: string; workers: number; image: string; timeoutMs: number },
): Promise<ScaleSample & { podSettings: string }> {
  const { pods } = side;
  const selector = { [labels.task]: o.id };
  const up = pods.until(
    () => pods.count(selector, "Running") >= o.workers,
    o.timeoutMs,
    `ScaleUp ${o.id}: ${o.workers} pods Running`,
  );
  const began = performance.now();
  try {
    const res = await client.scaleUp({
      taskId: o.id,
      workerCount: o.workers,
      image: o.image,
      command: [command],
    });
    if (res.changedWorkerIds.length !== o.workers) {
      throw new Error(`ScaleUp ${o.id} started ${res.changedWorkerIds.length} workers`);
    }
    const upAt = await up.catch((error: Error) => {
      throw new Error(`${error.message} (${pods.describe(selector)})`);
    });
    const settings = podSettings(pods.pods(selector)[0]);
    const down = await measureTeardown(pods, selector, o.timeoutMs, `ScaleDown ${o.id}`, () =>
      client.scaleDown({ taskId: o.id, workerCount: o.workers }),
    );
    return { upMs: upAt - began, ...down, podSettings: settings };
  } catch (error) {
    up.catch(() => {});
    // Leave nothing running for the next measurement.
    await client.scaleDown({ taskId: o.id, workerCount: o.workers }).catch(() => {});
    await pods.until(() => pods.count(selector) === 0, o.timeoutMs, "cleanup").catch(() => {});
    throw error;
  }
}

/** The manifest the baseline creates, for the pod-settings comparison. */
export function baselineScaleJob(
  namespace: string,
  o: { id: string; workers: number; image: string },
) {
  return baselineJob({ name: o.id, namespace, image: o.image, command, pods: o.workers });
}

/**
 * Baseline: `kubectl create -f -` of one Job (parallelism = completions =
 * workers) with the same pods, then `kubectl delete --cascade=foreground`,
 * waited.
 */
export async function baselineScale(
  side: ScaleSide,
  o: { id: string; workers: number; image: string; timeoutMs: number },
): Promise<ScaleSample> {
  const { pods, namespace } = side;
  const selector = { [baselineLabel]: o.id };
  const manifest = JSON.stringify(baselineScaleJob(namespace, o));
  const up = pods.until(
    () => pods.count(selector, "Running") >= o.workers,
    o.timeoutMs,
    `Job ${o.id}: ${o.workers} pods Running`,
  );
  const began = performance.now();
  try {
    await kubectl(["create", "-n", namespace, "-f", "-"], {
      input: manifest,
      doneIf: /AlreadyExists/,
    });
    const upAt = await up.catch((error: Error) => {
      throw new Error(`${error.message} (${pods.describe(selector)})`);
    });
    const down = await measureTeardown(pods, selector, o.timeoutMs, `Job ${o.id}`, () =>
      deleteJob(namespace, o.id, o.timeoutMs),
    );
    return { upMs: upAt - began, ...down };
  } catch (error) {
    up.catch(() => {});
    await deleteJob(namespace, o.id, o.timeoutMs).catch(() => {});
    await pods.until(() => pods.count(selector) === 0, o.timeoutMs, "cleanup").catch(() => {});
    throw error;
  }
}

/**
 * Runs a tear-down and measures, from its start: when no pod of `selector`
 * is Pending or Running any more, when none is left at all, how long the call
 * itself took, and how many pods appeared after it began.
 */
async function measureTeardown(
  pods: NamespacePods,
  selector: Record<string, string>,
  timeoutMs: number,
  what: string,
  teardown: () => Promise<unknown>,
): Promise<Omit<ScaleSample, "upMs">> {
  const before = new Set(pods.everSeen(selector));
  const live = () => pods.count(selector, "Running") + pods.count(selector, "Pending");
  const stopped = pods.until(() => live() === 0, timeoutMs, `${what}: pods stopped`);
  const gone = pods.until(() => pods.count(selector) === 0, timeoutMs, `${what}: pods gone`);
  // Whichever fails first is reported; the other must not go unhandled.
  stopped.catch(() => {});
  gone.catch(() => {});
  const began = performance.now();
  await teardown();
  const downCallMs = performance.now() - began;
  const [stoppedAt, goneAt] = await Promise.all([stopped, gone]);
  return {
    stoppedMs: stoppedAt - began,
    downMs: goneAt - began,
    downCallMs,
    replacementPods: pods.everSeen(selector).filter((name) => !before.has(name)).length,
  };
}

function deleteJob(namespace: string, name: string, timeoutMs: number): Promise<string> {
  return kubectl(
    [
      "delete",
      "job",
      name,
      "-n",
      namespace,
      "--cascade=foreground",
      "--wait=true",
      `--timeout=${Math.ceil(timeoutMs / 1000)}s`,
    ],
    { doneIf: /NotFound/ },
  );
}

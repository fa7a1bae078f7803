import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { defaultResources } from "../server/executor/executor.ts";
import { createJobSpec } from "../server/executor/kubernetes/job-spec.ts";
import { clusterExecutorOptions } from "../server/testing/cluster.ts";

/**
 * The pod settings startClusterServer gives its KubernetesExecutor, so the
 * baseline's pods are the same pods as ours.
 */
const clusterOptions = clusterExecutorOptions("unused");
export const clusterServerPod = {
  defaults: clusterOptions.defaults,
  imagePullPolicy: clusterOptions.imagePullPolicy,
  runAsUser: clusterOptions.runAsUser,
  terminationGraceSeconds: Math.ceil(clusterOptions.stopGraceMs / 1000),
};

/** The label on every baseline pod, naming the Job it belongs to. */
export const baselineLabel = "bench.ottoscaler.io/job";

export interface BaselineJobOptions {
  name: string;
  namespace: string;
  image: string;
  /** One string runs through `sh -c`, as our workers' commands do. */
  command: string;
  /** Pods run at once and in all (Job parallelism and completions). */
  pods: number;
}

/**
 * A plain Job with the pod template our executor makes for a worker (same
 * container, resources, imagePullPolicy, security context, workspace volume,
 * grace period), minus Ottoscaler's labels, annotations and OTTOSCALER_* env.
 */
export function baselineJob(o: BaselineJobOptions): V1Job {
  const ours = createJobSpec(
    {
      workerId: o.name,
      index: 0,
      count: 1,
      image: o.image,
      command: [o.command],
      env: {},
      resources: defaultResources,
    },
    {
      namespace: o.namespace,
      controllerInstance: "",
      defaults: clusterServerPod.defaults,
      imagePullPolicy: clusterServerPod.imagePullPolicy,
      runAsUser: clusterServerPod.runAsUser,
      terminationGraceSeconds: clusterServerPod.terminationGraceSeconds,
    },
  );
  const podSpec = ours.spec?.template.spec;
  if (podSpec === undefined) throw new Error("createJobSpec made no pod template");
  const labels = { [baselineLabel]: o.name };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: o.name, namespace: o.namespace, labels },
    spec: {
      parallelism: o.pods,
      completions: o.pods,
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: {
          ...podSpec,
          containers: podSpec.containers.map((c) => {
            const { env: _env, ...rest } = c;
            return rest;
          }),
        },
      },
    },
  };
}

/** What must match between our pods and the baseline's for a fair race. */
export function podSettings(pod: V1Pod | V1Job["spec"] | undefined): string {
  const spec = pod === undefined ? undefined : "template" in pod ? pod.template.spec : pod.spec;
  const c = spec?.containers[0];
  return canonical({
    image: c?.image,
    imagePullPolicy: c?.imagePullPolicy,
    resources: c?.resources,
    runAsUser: spec?.securityContext?.runAsUser,
    volumes: spec?.volumes?.map((v) => v.name),
    terminationGracePeriodSeconds: spec?.terminationGracePeriodSeconds,
    restartPolicy: spec?.restartPolicy,
  });
}

/** JSON with object keys sorted, so that equal settings give equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

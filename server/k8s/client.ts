import { existsSync, readFileSync } from "node:fs";
import type { BatchV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { clientNode } from "./client-node.ts";

const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

export function runningInCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(`${serviceAccountDir}/token`);
}

/** The standard loading: in-cluster service account, else KUBECONFIG or ~/.kube/config. */
export function loadKubeConfig(): KubeConfig {
  const kc = new (clientNode().KubeConfig)();
  kc.loadFromDefault();
  return kc;
}

/** The namespace asked for, else the pod's own, else "default". */
export function resolveNamespace(configured: string): string {
  if (configured !== "") return configured;
  try {
    return readFileSync(`${serviceAccountDir}/namespace`, "utf8").trim() || "default";
  } catch {
    return "default";
  }
}

export interface KubernetesClients {
  kc: KubeConfig;
  batch: BatchV1Api;
  core: CoreV1Api;
  custom: CustomObjectsApi;
}

export function createClients(kc: KubeConfig): KubernetesClients {
  const { BatchV1Api, CoreV1Api, CustomObjectsApi } = clientNode();
  return {
    kc,
    batch: kc.makeApiClient(BatchV1Api),
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
}

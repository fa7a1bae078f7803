import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { kubernetesExecutorOptions } from "../app.ts";
import { loadConfig } from "../config/config.ts";
import {
  KubernetesExecutor,
  type KubernetesExecutorOptions,
} from "../executor/kubernetes/kubernetes-executor.ts";
import { createClients, loadKubeConfig } from "../k8s/client.ts";
import { silentLogger } from "../observability/logger.ts";
import { startTestServer, type TestServer } from "./test-server.ts";

const run = promisify(execFile);

/** Kubernetes tests run only under `npm run test:k8s`, which brings the cluster up. */
export const k8sTests = process.env.OTTOSCALER_K8S_TESTS === "1";
export const skipUnlessCluster = k8sTests ? false : "needs the real cluster: npm run test:k8s";

export function testImage(): string {
  const image = process.env.OTTOSCALER_TEST_IMAGE;
  if (!image) throw new Error("OTTOSCALER_TEST_IMAGE is not set: run through npm run test:k8s");
  return image;
}

export async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run("kubectl", args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** A namespace of its own for one test file, ready for pods. */
export async function createTestNamespace(prefix: string): Promise<string> {
  const namespace = `${prefix}-${randomBytes(3).toString("hex")}`;
  await kubectl("create", "namespace", namespace);
  // A new namespace rejects pods until its default service account has a token.
  for (let i = 0; i < 100; i++) {
    const secrets = await kubectl(
      "get",
      "sa",
      "default",
      "-n",
      namespace,
      "-o",
      "jsonpath={.secrets}",
    ).catch(() => "");
    if (secrets.includes("name")) return namespace;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`service account token for ${namespace} never appeared`);
}

export async function deleteNamespace(namespace: string): Promise<void> {
  await kubectl("delete", "namespace", namespace, "--wait=false").catch(() => {});
}

/** What every cluster test runs with: small pods that stop quickly. */
export const clusterTestEnv: Record<string, string> = {
  OTTOSCALER_WORKER_CPU_REQUEST: "10m",
  OTTOSCALER_WORKER_CPU_LIMIT: "500m",
  OTTOSCALER_WORKER_MEMORY_REQUEST: "16Mi",
  OTTOSCALER_WORKER_MEMORY_LIMIT: "128Mi",
  OTTOSCALER_IMAGE_PULL_POLICY: "IfNotPresent",
  OTTOSCALER_STOP_GRACE_MS: "1000",
  OTTOSCALER_PENDING_GRACE_SECONDS: "20",
};

/** The executor options the server would take from `clusterTestEnv` (and `env`) in `namespace`. */
export function clusterExecutorOptions(
  namespace: string,
  env: Record<string, string> = clusterTestEnv,
): KubernetesExecutorOptions {
  const config = loadConfig({ ...env, OTTOSCALER_NAMESPACE: namespace });
  // Reconcile every live worker more often than in production: tests wait on it after a cut watch.
  return { ...kubernetesExecutorOptions(config), resyncMs: 5000 };
}

export interface ClusterServer extends TestServer {
  namespace: string;
  executor: KubernetesExecutor;
}

/** A real server whose workers are Jobs in a fresh namespace of the real cluster. */
export async function startClusterServer(
  prefix: string,
  env: Record<string, string> = {},
): Promise<ClusterServer> {
  const namespace = await createTestNamespace(prefix);
  const clusterEnv = { ...clusterTestEnv, OTTOSCALER_DEFAULT_IMAGE: testImage(), ...env };
  const executor = new KubernetesExecutor(
    createClients(loadKubeConfig()),
    clusterExecutorOptions(namespace, clusterEnv),
    silentLogger,
  );
  await executor.start();
  return inNamespace(namespace, executor, await startTestServer(clusterEnv, { executor }));
}

/** The server as a ClusterServer: disposing of it deletes its namespace too. */
function inNamespace(
  namespace: string,
  executor: KubernetesExecutor,
  server: TestServer,
): ClusterServer {
  return {
    ...server,
    namespace,
    executor,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await deleteNamespace(namespace);
    },
  };
}

/**
 * The whole controller as `npm start` wires it (createApp: PipelineRun and WorkerGroup
 * resources, Events, the rebuilt executor), its workers Jobs in a fresh namespace.
 */
export async function startClusterController(
  prefix: string,
  env: Record<string, string> = {},
): Promise<ClusterServer> {
  const namespace = await createTestNamespace(prefix);
  const server = await startTestServer({
    ...clusterTestEnv,
    OTTOSCALER_EXECUTOR: "kubernetes",
    OTTOSCALER_NAMESPACE: namespace,
    OTTOSCALER_DEFAULT_IMAGE: testImage(),
    ...env,
  });
  await server.app.start();
  const { executor } = server.app;
  if (!(executor instanceof KubernetesExecutor)) throw new Error("not the Kubernetes executor");
  return inNamespace(namespace, executor, server);
}

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { KubernetesExecutor } from "../executor/kubernetes/kubernetes-executor.ts";
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
  const executor = new KubernetesExecutor(
    createClients(loadKubeConfig()),
    {
      namespace,
      defaults: {
        cpuRequest: "10m",
        cpuLimit: "500m",
        memoryRequest: "16Mi",
        memoryLimit: "128Mi",
      },
      imagePullPolicy: "IfNotPresent",
      runAsUser: 65532,
      stopGraceMs: 1000,
      pendingGraceMs: Number(env.OTTOSCALER_PENDING_GRACE_SECONDS ?? "20") * 1000,
      maxLineBytes: 16384,
      resyncMs: 5000,
    },
    silentLogger,
  );
  await executor.start();
  const server = await startTestServer(
    { OTTOSCALER_DEFAULT_IMAGE: testImage(), OTTOSCALER_STOP_GRACE_MS: "1000", ...env },
    { executor },
  );
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

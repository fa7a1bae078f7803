import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { kubectl } from "./cluster.ts";

const exec = promisify(execFile);

/** kubectl apply of a manifest given as text. */
export async function applyManifest(yaml: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile("kubectl", ["apply", "-f", "-"], (error) =>
      error ? reject(error) : resolve(),
    );
    child.stdin?.end(yaml);
  });
}

/**
 * A ServiceAccount and its token, from a token Secret (Kubernetes 1.20 has no
 * `kubectl create token`): the Secret is made, the token controller fills it,
 * and `kubectl wait` waits for that, not a timer.
 */
export async function serviceAccountToken(namespace: string, name: string): Promise<string> {
  const secret = `${name}-token`;
  const readToken = () =>
    kubectl("get", "secret", "-n", namespace, secret, "-o", "jsonpath={.data.token}");
  await applyManifest(`
apiVersion: v1
kind: ServiceAccount
metadata: { name: ${name}, namespace: ${namespace} }
---
apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  name: ${secret}
  namespace: ${namespace}
  annotations: { kubernetes.io/service-account.name: ${name} }
`);
  await exec("kubectl", [
    "wait",
    "-n",
    namespace,
    `secret/${secret}`,
    "--for=jsonpath={.data.token}",
    "--timeout=60s",
  ]).catch(
    // kubectl 1.20's wait knows conditions only: read the Secret until the token is there.
    async () => {
      for (let i = 0; i < 60; i++) {
        const token = await readToken();
        if (token !== "") return;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`${namespace}/${secret}: no token after 30 s`);
    },
  );
  const encoded = await readToken();
  return Buffer.from(encoded, "base64").toString("utf8");
}

/** A RoleBinding of `role` to the ServiceAccount. */
export async function bindRole(
  namespace: string,
  binding: string,
  role: string,
  account: string,
): Promise<void> {
  await kubectl(
    "create",
    "rolebinding",
    binding,
    "-n",
    namespace,
    `--role=${role}`,
    `--serviceaccount=${namespace}:${account}`,
  );
}

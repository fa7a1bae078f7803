import { execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { kubectl } from "./cluster.ts";

/** kubectl apply of a manifest given as text. */
export async function applyManifest(yaml: string): Promise<void> {
  await kubectlWithInput(["apply", "-f", "-"], yaml);
}

/**
 * A ServiceAccount and a token of it. Kubernetes 1.20 has no `kubectl create token`, so the
 * token comes from the TokenRequest API (GA in 1.20; one call, nothing to wait for), or, where
 * the API server does not serve it, from a token Secret the token controller fills, waited for
 * with a watch rather than a timer.
 */
export async function serviceAccountToken(namespace: string, name: string): Promise<string> {
  await applyManifest(`
apiVersion: v1
kind: ServiceAccount
metadata: { name: ${name}, namespace: ${namespace} }
`);
  const request = JSON.stringify({
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { expirationSeconds: 3600 },
  });
  const requested = await kubectlWithInput(
    ["create", "--raw", `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, "-f", "-"],
    request,
  ).catch(() => undefined);
  const token =
    requested && (JSON.parse(requested) as { status?: { token?: string } }).status?.token;
  return token || secretToken(namespace, name);
}

/** The token of a Secret made for the ServiceAccount, once the token controller has put it in. */
async function secretToken(namespace: string, name: string): Promise<string> {
  const secret = `${name}-token`;
  await applyManifest(`
apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  name: ${secret}
  namespace: ${namespace}
  annotations: { kubernetes.io/service-account.name: ${name} }
`);
  // kubectl 1.20's wait knows conditions only: watch the Secret until it has a token.
  const watch = spawn(
    "kubectl",
    ["get", "secret", secret, "-n", namespace, "-w", "-o", 'jsonpath={.data.token}{"\\n"}'],
    { stdio: ["ignore", "pipe", "inherit"], signal: AbortSignal.timeout(60_000) },
  );
  watch.on("error", () => {});
  try {
    for await (const line of createInterface({ input: watch.stdout })) {
      if (line.trim() !== "") return Buffer.from(line.trim(), "base64").toString("utf8");
    }
  } finally {
    watch.kill();
  }
  throw new Error(`${namespace}/${secret}: no token within 60 s`);
}

/** kubectl with `input` on its stdin; its stdout. */
function kubectlWithInput(args: string[], input: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = execFile("kubectl", args, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
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

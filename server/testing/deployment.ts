import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { kubectl } from "./cluster.ts";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

/** End-to-end tests run only under `npm run test:e2e`, which brings the cluster up. */
export const skipUnlessE2e =
  process.env.OTTOSCALER_E2E_TESTS === "1" ? false : "needs the real cluster: npm run test:e2e";

/** What manifests/ deploys. */
export const controllerNamespace = "ottoscaler-system";
export const controllerSelector = "app.kubernetes.io/name=ottoscaler";
export const controllerAccount = `system:serviceaccount:${controllerNamespace}:ottoscaler`;
/** The claim holding the controller's data volume (OTTOSCALER_DATA_DIR). */
export const controllerDataClaim = "ottoscaler-data";

export interface Deployed {
  stdout: string;
  stderr: string;
  seconds: number;
}

/** `npm run deploy:local`, as a user runs it: cluster up, image built and imported, applied. */
export async function deployLocal(): Promise<Deployed> {
  const started = performance.now();
  const { stdout, stderr } = await exec("bash", [path.join(root, "hack/deploy-local.sh")], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
  return { stdout, stderr, seconds: (performance.now() - started) / 1000 };
}

export interface ControllerPod {
  name: string;
  created: string;
  imageID: string;
  restarts: number;
  spec: {
    serviceAccountName?: string;
    volumes?: {
      name: string;
      emptyDir?: Record<string, unknown>;
      persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
    }[];
    containers: {
      image: string;
      imagePullPolicy: string;
      env?: { name: string; value?: string }[];
      securityContext?: Record<string, unknown>;
      volumeMounts?: { name: string; mountPath: string }[];
    }[];
  };
}

/** The controller's newest running, ready pod that is not being deleted. */
export async function controllerPod(): Promise<ControllerPod> {
  const list = JSON.parse(
    await kubectl("get", "pods", "-n", controllerNamespace, "-l", controllerSelector, "-o", "json"),
  ) as {
    items: {
      metadata: { name: string; deletionTimestamp?: string; creationTimestamp: string };
      spec: ControllerPod["spec"];
      status: {
        phase?: string;
        conditions?: { type: string; status: string }[];
        containerStatuses?: { imageID: string; restartCount: number }[];
      };
    }[];
  };
  const ready = list.items
    .filter(
      (p) =>
        p.metadata.deletionTimestamp === undefined &&
        p.status.phase === "Running" &&
        p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    )
    .sort((a, b) => b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp));
  const pod = ready[0];
  assert.ok(pod, `no ready controller pod in ${controllerNamespace}`);
  return {
    name: pod.metadata.name,
    created: pod.metadata.creationTimestamp,
    imageID: pod.status.containerStatuses?.[0]?.imageID ?? "",
    restarts: pod.status.containerStatuses?.[0]?.restartCount ?? 0,
    spec: pod.spec,
  };
}

/** The controller's log lines, each parsed: they must all be JSON objects. */
export function parseLogLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(l);
      } catch (error) {
        assert.fail(`not a JSON log line: ${l} (${String(error)})`);
      }
      assert.ok(typeof parsed === "object" && parsed !== null, `not a JSON object: ${l}`);
      return parsed as Record<string, unknown>;
    });
}

/** curl, as users call the API: status code and body. */
export async function curl(
  url: string,
  body?: string,
  token?: string,
): Promise<{ status: number; body: string }> {
  const args = ["-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}"];
  if (token !== undefined) args.push("-H", `authorization: Bearer ${token}`);
  if (body !== undefined) args.push("-H", "Content-Type: application/json", "--data-binary", body);
  const { stdout } = await exec("curl", [...args, url]);
  const cut = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

/** ottoctl (bin/ottoctl.js) as a user runs it: exit code and output. */
export async function ottoctl(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      [path.join(root, "bin/ottoctl.js"), ...args],
      { cwd: root, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

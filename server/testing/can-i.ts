import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One `kubectl auth can-i` question and the answer it must get. */
export interface CanI {
  verb: string;
  resource: string;
  subresource?: string;
  /** Omitted for cluster-scoped resources. */
  namespace?: string;
  allowed: boolean;
}

/** What the controller's ServiceAccount in `ns` may do, and a sample of what it may not. */
export function permissionMatrix(ns: string, options: { reviews?: boolean } = {}): CanI[] {
  // The deployed controller authenticates callers (rbac/auth.yaml); a developer's does not.
  const reviews = options.reviews === true;
  return [
    { verb: "create", resource: "tokenreviews.authentication.k8s.io", allowed: reviews },
    { verb: "create", resource: "subjectaccessreviews.authorization.k8s.io", allowed: reviews },
    {
      verb: "create",
      resource: "localsubjectaccessreviews.authorization.k8s.io",
      namespace: ns,
      allowed: reviews,
    },
    {
      verb: "create",
      resource: "localsubjectaccessreviews.authorization.k8s.io",
      namespace: "default",
      allowed: false,
    },
    // What the Kubernetes executor does, in its own namespace.
    { verb: "create", resource: "jobs.batch", namespace: ns, allowed: true },
    { verb: "get", resource: "jobs.batch", namespace: ns, allowed: true },
    { verb: "list", resource: "jobs.batch", namespace: ns, allowed: true },
    { verb: "watch", resource: "jobs.batch", namespace: ns, allowed: true },
    { verb: "delete", resource: "jobs.batch", namespace: ns, allowed: true },
    { verb: "get", resource: "pods", namespace: ns, allowed: true },
    { verb: "list", resource: "pods", namespace: ns, allowed: true },
    { verb: "watch", resource: "pods", namespace: ns, allowed: true },
    { verb: "delete", resource: "pods", namespace: ns, allowed: true },
    { verb: "get", resource: "pods", subresource: "log", namespace: ns, allowed: true },
    // Each run as a PipelineRun: made, watched, its status written, its finalizer removed.
    ...["create", "get", "list", "watch", "update"].map((verb) => ({
      verb,
      resource: "pipelineruns.ottoscaler.io",
      namespace: ns,
      allowed: true,
    })),
    {
      verb: "update",
      resource: "pipelineruns.ottoscaler.io",
      subresource: "status",
      namespace: ns,
      allowed: true,
    },
    {
      verb: "update",
      resource: "pipelineruns.ottoscaler.io",
      subresource: "finalizers",
      namespace: ns,
      allowed: true,
    },
    ...["create", "get", "list", "update"].map((verb) => ({
      verb,
      resource: "workergroups.ottoscaler.io",
      namespace: ns,
      allowed: true,
    })),
    {
      verb: "update",
      resource: "workergroups.ottoscaler.io",
      subresource: "status",
      namespace: ns,
      allowed: true,
    },
    { verb: "create", resource: "events", namespace: ns, allowed: true },
    // The leader-election Lease: read, taken, renewed; never deleted, not listed.
    ...["get", "create", "update"].map((verb) => ({
      verb,
      resource: "leases.coordination.k8s.io",
      namespace: ns,
      allowed: true,
    })),
    { verb: "delete", resource: "leases.coordination.k8s.io", namespace: ns, allowed: false },
    {
      verb: "get",
      resource: "leases.coordination.k8s.io",
      namespace: "kube-system",
      allowed: false,
    },
    { verb: "delete", resource: "events", namespace: ns, allowed: false },
    { verb: "delete", resource: "pipelineruns.ottoscaler.io", namespace: ns, allowed: false },
    {
      verb: "create",
      resource: "pipelineruns.ottoscaler.io",
      namespace: "default",
      allowed: false,
    },
    // Nothing more in its namespace.
    { verb: "update", resource: "jobs.batch", namespace: ns, allowed: false },
    { verb: "patch", resource: "jobs.batch", namespace: ns, allowed: false },
    { verb: "create", resource: "pods", namespace: ns, allowed: false },
    { verb: "create", resource: "pods", subresource: "exec", namespace: ns, allowed: false },
    { verb: "create", resource: "deployments.apps", namespace: ns, allowed: false },
    {
      verb: "create",
      resource: "rolebindings.rbac.authorization.k8s.io",
      namespace: ns,
      allowed: false,
    },
    // No secrets, anywhere.
    { verb: "get", resource: "secrets", namespace: ns, allowed: false },
    { verb: "list", resource: "secrets", namespace: ns, allowed: false },
    { verb: "watch", resource: "secrets", namespace: ns, allowed: false },
    { verb: "get", resource: "secrets", namespace: "default", allowed: false },
    { verb: "list", resource: "secrets", namespace: "kube-system", allowed: false },
    // Nothing in other namespaces: not their pods, not their Jobs.
    { verb: "get", resource: "pods", namespace: "default", allowed: false },
    { verb: "list", resource: "pods", namespace: "kube-system", allowed: false },
    { verb: "watch", resource: "pods", namespace: "default", allowed: false },
    { verb: "delete", resource: "pods", namespace: "kube-system", allowed: false },
    { verb: "get", resource: "pods", subresource: "log", namespace: "kube-system", allowed: false },
    { verb: "create", resource: "pods", namespace: "default", allowed: false },
    { verb: "create", resource: "jobs.batch", namespace: "default", allowed: false },
    { verb: "list", resource: "jobs.batch", namespace: "kube-system", allowed: false },
    // No cluster-scoped writes (nor reads).
    { verb: "create", resource: "namespaces", allowed: false },
    { verb: "delete", resource: "namespaces", allowed: false },
    { verb: "list", resource: "namespaces", allowed: false },
    { verb: "create", resource: "clusterroles.rbac.authorization.k8s.io", allowed: false },
    { verb: "create", resource: "clusterrolebindings.rbac.authorization.k8s.io", allowed: false },
    { verb: "patch", resource: "nodes", allowed: false },
    { verb: "create", resource: "persistentvolumes", allowed: false },
    { verb: "create", resource: "customresourcedefinitions.apiextensions.k8s.io", allowed: false },
  ];
}

export function describeCheck(c: CanI): string {
  const what = `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ""}`;
  return `${what} ${c.namespace === undefined ? "(cluster-scoped)" : `-n ${c.namespace}`}`;
}

/** `kubectl auth can-i` as `as`: true or false, asked again while the answer is unclear. */
export async function canI(as: string, c: CanI): Promise<boolean> {
  const args = ["auth", "can-i", c.verb, c.resource, `--as=${as}`];
  if (c.namespace !== undefined) args.push("-n", c.namespace);
  if (c.subresource !== undefined) args.push(`--subresource=${c.subresource}`);
  for (let i = 1; ; i++) {
    // can-i exits 1 for "no": read its answer, not its exit code.
    const { stdout, stderr } = await exec("kubectl", args).catch(
      (e: { stdout?: string; stderr?: string }) => ({
        stdout: e.stdout ?? "",
        stderr: e.stderr ?? "",
      }),
    );
    const answer = stdout.trim();
    if (answer === "yes" || answer === "no") return answer === "yes";
    if (i >= 30) throw new Error(`kubectl ${args.join(" ")}: ${stderr.trim()}`);
    await pause(1000);
  }
}

/**
 * Checks the whole matrix. An API server that has just restarted may deny everything until its
 * RBAC caches fill, so a mismatch is asked again a few times before it counts.
 */
export async function assertPermissions(as: string, matrix: CanI[]): Promise<void> {
  let wrong: string[] = [];
  for (let round = 1; round <= 5; round++) {
    wrong = [];
    for (const c of matrix) {
      const allowed = await canI(as, c);
      if (allowed !== c.allowed) {
        wrong.push(
          `${describeCheck(c)}: ${allowed ? "yes" : "no"}, want ${c.allowed ? "yes" : "no"}`,
        );
      }
    }
    if (wrong.length === 0) return;
    await pause(2000);
  }
  assert.fail(`${as}:\n  ${wrong.join("\n  ")}`);
}

import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { LogStreamingService } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";
import {
  type PipelineProgress,
  type PipelineRequestSchema,
  PipelineStatus,
} from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { skipUnlessCluster, testImage } from "../testing/cluster.ts";
import { buildControllerImage } from "../testing/image.ts";
import { collect, createTransport } from "../testing/test-server.ts";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const namespace = "ottoscaler";
const selector = "app.kubernetes.io/name=ottoscaler,app.kubernetes.io/component=controller";

/** Failures of the API server being restarted (other tests do that), worth another try. */
const transient =
  /connection refused|Unable to connect to the server|unexpected EOF|EOF$|connection reset|ServiceUnavailable|currently unable to handle|TLS handshake timeout|i\/o timeout|GOAWAY|etcdserver|http2: client connection lost|watch closed before|unable to decode an event from the watch stream/m;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** kubectl, tried again (at most `tries` times, a second apart) while the API server is away. */
async function kubectl(args: string[], tries = 30): Promise<string> {
  for (let i = 1; ; i++) {
    try {
      const { stdout } = await exec("kubectl", args, { maxBuffer: 64 * 1024 * 1024 });
      return stdout;
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? error);
      if (i >= tries || !transient.test(stderr)) {
        throw new Error(`kubectl ${args.join(" ")}: ${stderr.trim()}`);
      }
      await pause(1000);
    }
  }
}

/** Deletes a namespace and waits (bounded) until it is gone. */
async function deleteNamespaceAndWait(name: string): Promise<void> {
  await kubectl([
    "delete",
    "namespace",
    name,
    "--ignore-not-found",
    "--wait=true",
    "--timeout=180s",
  ]);
}

interface CanI {
  verb: string;
  resource: string;
  subresource?: string;
  namespace: string;
  allowed: boolean;
}

/** What the controller's ServiceAccount in `ns` may and may not do. */
function permissionMatrix(ns: string): CanI[] {
  return [
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
    // Least privilege: nothing beyond what the executor does, nowhere but its own namespace.
    { verb: "update", resource: "jobs.batch", namespace: ns, allowed: false },
    { verb: "create", resource: "pods", namespace: ns, allowed: false },
    { verb: "create", resource: "pods", subresource: "exec", namespace: ns, allowed: false },
    { verb: "get", resource: "secrets", namespace: ns, allowed: false },
    { verb: "list", resource: "secrets", namespace: ns, allowed: false },
    { verb: "create", resource: "deployments.apps", namespace: ns, allowed: false },
    { verb: "create", resource: "pods", namespace: "default", allowed: false },
    { verb: "create", resource: "jobs.batch", namespace: "default", allowed: false },
    { verb: "watch", resource: "pods", namespace: "default", allowed: false },
    { verb: "get", resource: "secrets", namespace: "default", allowed: false },
    { verb: "list", resource: "namespaces", namespace: ns, allowed: false },
  ];
}

/** `kubectl auth can-i` for one check: true or false, retried while the answer is unclear. */
async function canI(as: string, c: CanI): Promise<boolean> {
  const args = ["auth", "can-i", c.verb, c.resource, "-n", c.namespace, `--as=${as}`];
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
 * RBAC caches fill, so a mismatch is checked again a few times before it counts.
 */
async function assertPermissions(as: string, matrix: CanI[]): Promise<void> {
  let wrong: string[] = [];
  for (let round = 1; round <= 5; round++) {
    wrong = [];
    for (const c of matrix) {
      const allowed = await canI(as, c);
      if (allowed !== c.allowed) {
        const what = `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ""} -n ${c.namespace}`;
        wrong.push(`${what}: ${allowed ? "yes" : "no"}, want ${c.allowed ? "yes" : "no"}`);
      }
    }
    if (wrong.length === 0) return;
    await pause(2000);
  }
  assert.fail(`${as}:\n  ${wrong.join("\n  ")}`);
}

/** `kubectl port-forward` to one pod, on a free local port. */
class PortForward implements AsyncDisposable {
  readonly url: string;
  readonly #child: ReturnType<typeof spawn>;

  private constructor(url: string, child: ReturnType<typeof spawn>) {
    this.url = url;
    this.#child = child;
  }

  static async start(ns: string, pod: string, port = 9090): Promise<PortForward> {
    const child = spawn(
      "kubectl",
      ["port-forward", "-n", ns, `pod/${pod}`, "--address", "127.0.0.1", `:${port}`],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    try {
      const local = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`port-forward: no port in 20 s: ${err}`)),
          20_000,
        );
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
          if (m?.[1] !== undefined) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`port-forward exited (${code}): ${err.trim()}`));
        });
      });
      return new PortForward(`http://127.0.0.1:${local}`, child);
    } catch (error) {
      child.kill();
      throw error;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((r) => this.#child.once("exit", r));
    this.#child.kill();
    await exited;
  }
}

/** Tries `fn` with a fresh port-forward, up to three times (a restarted API server breaks it). */
async function throughPortForward<T>(
  pod: string,
  fn: (url: string, attempt: number) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      await using pf = await PortForward.start(namespace, pod);
      return await fn(pf.url, attempt);
    } catch (error) {
      // A failed assertion is an answer, not a broken connection.
      if (attempt >= 3 || error instanceof assert.AssertionError) throw error;
      await pause(1000);
    }
  }
}

/** curl, as users call the API: status code and body. */
async function curl(url: string, body?: string): Promise<{ status: number; body: string }> {
  const args = ["-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}"];
  if (body !== undefined) args.push("-H", "Content-Type: application/json", "--data-binary", body);
  const { stdout } = await exec("curl", [...args, url]);
  const cut = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

interface PodInfo {
  name: string;
  created: string;
  imageID: string;
  spec: {
    securityContext?: Record<string, unknown>;
    serviceAccountName?: string;
    containers: {
      image: string;
      imagePullPolicy: string;
      securityContext?: Record<string, unknown>;
    }[];
  };
}

/** The controller's one running, ready pod that is not being deleted. */
async function controllerPod(): Promise<PodInfo> {
  const list = JSON.parse(
    await kubectl(["get", "pods", "-n", namespace, "-l", selector, "-o", "json"]),
  ) as {
    items: {
      metadata: { name: string; deletionTimestamp?: string; creationTimestamp: string };
      spec: PodInfo["spec"];
      status: {
        phase?: string;
        conditions?: { type: string; status: string }[];
        containerStatuses?: { imageID: string }[];
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
  assert.ok(pod, `no ready controller pod in ${namespace}`);
  return {
    name: pod.metadata.name,
    created: pod.metadata.creationTimestamp,
    imageID: pod.status.containerStatuses?.[0]?.imageID ?? "",
    spec: pod.spec,
  };
}

/** Waits for the Deployment's rollout to finish and for it to be Available (its pod Ready). */
async function waitForRollout(): Promise<void> {
  // rollout status watches; it is tried again (a few times) if the API server restarts under it.
  await kubectl(
    ["rollout", "status", "deployment/ottoscaler", "-n", namespace, "--timeout=180s"],
    5,
  );
  const available = await kubectl([
    "get",
    "deployment/ottoscaler",
    "-n",
    namespace,
    "-o",
    'jsonpath={.status.conditions[?(@.type=="Available")].status}',
  ]);
  assert.equal(available, "True");
}

/** Resolves once `pattern` has appeared in what `read()` returns; `more` fires on new output. */
function outputMatches(
  more: (listener: () => void) => void,
  read: () => string,
  pattern: RegExp,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${pattern} not seen in ${timeoutMs} ms:\n${read()}`)),
      timeoutMs,
    );
    const check = () => {
      if (!pattern.test(read())) return;
      clearTimeout(timer);
      resolve();
    };
    more(check);
    check();
  });
}

/** `promise`, or a rejection after `ms` (the timer cleared either way). */
async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type PipelineInit = MessageInitShape<typeof PipelineRequestSchema>;

/**
 * Runs a pipeline on the deployed controller over gRPC and returns all its events. If the
 * port-forward breaks, it re-attaches with WatchPipeline (which replays from the first event),
 * submitting again only if the controller never got it.
 */
async function runPipeline(pod: string, request: PipelineInit): Promise<PipelineProgress[]> {
  const pipelineId = request.pipelineId ?? "";
  return throughPortForward(pod, async (url, attempt) => {
    const client = createClient(OttoscalerService, createTransport("grpc", url));
    const options = { timeoutMs: 180_000 };
    if (attempt > 1) {
      try {
        return await collect(client.watchPipeline({ pipelineId }, options));
      } catch (error) {
        if (!(error instanceof ConnectError && error.code === Code.NotFound)) throw error;
      }
    }
    return collect(client.executePipeline(request, options));
  });
}

describe("manifests/ deployed on the real cluster", { skip: skipUnlessCluster }, () => {
  let pod: PodInfo;
  let imageId = "";

  before(async (t) => {
    const image = await buildControllerImage();
    assert.equal(image.ref, "docker.io/library/ottoscaler:dev", image.log);
    imageId = image.id;
    t.diagnostic(`hack/build-image.sh: ${image.seconds.toFixed(1)} s (build and import)`);
    // A fresh namespace: a pod left by an earlier run would still run the previous image.
    await deleteNamespaceAndWait(namespace);
    const started = performance.now();
    await kubectl(["apply", "-k", path.join(root, "manifests")]);
    await waitForRollout();
    t.diagnostic(
      `kubectl apply -k manifests/ to Deployment Available: ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    pod = await controllerPod();
  });

  after(async () => {
    await deleteNamespaceAndWait(namespace);
  });

  it("runs the freshly built image as uid 65532 with a read-only root filesystem", async () => {
    assert.equal(pod.imageID, imageId, "the pod runs the image hack/build-image.sh just built");
    const [container] = pod.spec.containers;
    assert.equal(container?.image, "ottoscaler:dev");
    assert.equal(container?.imagePullPolicy, "IfNotPresent");
    assert.equal(pod.spec.serviceAccountName, "ottoscaler");
    assert.equal(container?.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(container?.securityContext?.allowPrivilegeEscalation, false);
    const out = await kubectl([
      "exec",
      "-n",
      namespace,
      pod.name,
      "--",
      "sh",
      "-c",
      "id -u; cat /proc/1/cmdline | tr '\\0' ' '; echo; touch /app/x 2>/dev/null && echo app-writable || echo app-read-only; touch /tmp/x && echo tmp-writable",
    ]);
    assert.deepEqual(out.trim().split("\n"), [
      "65532",
      "node server/main.ts ",
      "app-read-only",
      "tmp-writable",
    ]);
  });

  it("answers /healthz, /readyz, GetWorkerStatus (curl) and grpc.health.v1 through port-forward", async () => {
    await throughPortForward(pod.name, async (url) => {
      assert.deepEqual(await curl(`${url}/healthz`), { status: 200, body: "ok\n" });
      assert.deepEqual(await curl(`${url}/readyz`), { status: 200, body: "ok\n" });
      const status = await curl(`${url}/ottoscaler.v1.OttoscalerService/GetWorkerStatus`, "{}");
      assert.equal(status.status, 200, status.body);
      const workers = (JSON.parse(status.body) as { workers?: unknown[] }).workers ?? [];
      assert.ok(Array.isArray(workers));
      const health = createClient(Health, createTransport("grpc", url));
      const checked = await health.check({ service: "" }, { timeoutMs: 10_000 });
      assert.equal(checked.status, HealthCheckResponse_ServingStatus.SERVING);
    });
  });

  it("runs a pipeline of the test image as Jobs to SUCCEEDED, with its log lines", async (t) => {
    const image = testImage();
    const pipelineId = `deploy-${randomBytes(3).toString("hex")}`;
    // Retries only so that an API server restarted by another test cannot fail the run.
    const retry = { maxAttempts: 5, initialBackoffMs: 1000, maxBackoffMs: 8000 };
    const request: PipelineInit = {
      pipelineId,
      name: "deploy-smoke",
      stages: [
        {
          id: "hello",
          image,
          command: ['echo "hello from $OTTOSCALER_STAGE_ID"; echo "uid $(id -u)"'],
          retry,
          timeoutSeconds: 120,
        },
        {
          id: "bye",
          image,
          dependsOn: ["hello"],
          command: ["echo", "bye from the second stage"],
          retry,
          timeoutSeconds: 120,
        },
      ],
    };
    const started = performance.now();
    const events = await runPipeline(pod.name, request);
    t.diagnostic(`pipeline of 2 stages: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const final = events.at(-1);
    assert.equal(
      final?.status,
      PipelineStatus.SUCCEEDED,
      events
        .map((e) => `${e.stageId || "pipeline"} ${PipelineStatus[e.status]} ${e.message}`)
        .join("\n"),
    );
    assert.equal(final?.pipelineId, pipelineId);
    const lines = await throughPortForward(pod.name, async (url) => {
      const logs = createClient(LogStreamingService, createTransport("grpc", url));
      return collect(logs.streamBuildLogs({ pipelineId }, { timeoutMs: 30_000 }));
    });
    const last = new Map<string, number>();
    for (const l of lines) last.set(l.stageId, Math.max(last.get(l.stageId) ?? 0, l.attempt));
    t.diagnostic(`attempts: hello ${last.get("hello")}, bye ${last.get("bye")}`);
    // The lines of each stage's succeeding (last) attempt.
    const ofStage = (stage: string) =>
      lines
        .filter((l) => l.stageId === stage && l.attempt === last.get(stage))
        .map((l) => l.entry?.line);
    assert.deepEqual(ofStage("hello"), ["hello from hello", "uid 65532"]);
    assert.deepEqual(ofStage("bye"), ["bye from the second stage"]);
    // The controller deleted its Jobs once their logs were read.
    for (let i = 0; ; i++) {
      const jobs = await kubectl([
        "get",
        "jobs",
        "-n",
        namespace,
        "-l",
        `ottoscaler.io/pipeline=${pipelineId}`,
        "-o",
        "name",
      ]);
      if (jobs.trim() === "") break;
      assert.ok(i < 60, `jobs left behind: ${jobs}`);
      await pause(500);
    }
  });

  it("has a ServiceAccount that may do what the executor does, in its namespace only", async () => {
    await assertPermissions(
      `system:serviceaccount:${namespace}:ottoscaler`,
      permissionMatrix(namespace),
    );
  });

  it("stops on SIGTERM as PID 1 at a rollout restart, and a new pod becomes ready", async (t) => {
    const old = pod.name;
    // Follow the old pod's log: it ends when its container exits.
    const logs = spawn("kubectl", ["logs", "-f", "-n", namespace, old], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    const listeners: (() => void)[] = [];
    const onData = (c: Buffer) => {
      text += c.toString();
      for (const l of listeners) l();
    };
    logs.stdout.on("data", onData);
    logs.stderr.on("data", onData);
    const exited = new Promise<void>((resolve) => logs.once("exit", () => resolve()));
    try {
      // Attached once the log so far has come through.
      await outputMatches(
        (l) => listeners.push(l),
        () => text,
        /"event":"serverListening"/,
        30_000,
      );
      const started = performance.now();
      await kubectl(["rollout", "restart", "deployment/ottoscaler", "-n", namespace]);
      await outputMatches(
        (l) => listeners.push(l),
        () => text,
        /"event":"serverStopped"/,
        60_000,
      );
      const stopped = (performance.now() - started) / 1000;
      await withTimeout(exited, 30_000, "kubectl logs -f did not end with the container");
      assert.match(text, /"event":"serverStopping","signal":"SIGTERM"/);
      // Well inside terminationGracePeriodSeconds (30 s): not killed, it exited by itself.
      assert.ok(stopped < 25, `stopped ${stopped.toFixed(1)} s after the restart`);
      await waitForRollout();
      t.diagnostic(
        `rollout restart: old pod stopped after ${stopped.toFixed(1)} s, new pod ready after ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    } finally {
      logs.kill();
    }
    pod = await controllerPod();
    assert.notEqual(pod.name, old);
    assert.equal(pod.imageID, imageId);
    // Recreate: the new pod was made only after the old one had stopped (second resolution).
    const stoppedAt = /"time":(\d+),[^\n]*"event":"serverStopped"/.exec(text)?.[1];
    assert.ok(stoppedAt !== undefined, text);
    assert.ok(
      Date.parse(pod.created) >= Math.floor(Number(stoppedAt) / 1000) * 1000,
      `new pod created ${pod.created}, old one stopped ${new Date(Number(stoppedAt)).toISOString()}`,
    );
    await throughPortForward(pod.name, async (url) => {
      assert.deepEqual(await curl(`${url}/readyz`), { status: 200, body: "ok\n" });
      const status = await curl(`${url}/ottoscaler.v1.OttoscalerService/GetWorkerStatus`, "{}");
      assert.equal(status.status, 200, status.body);
    });
  });
});

describe("hack/setup-user.sh", { skip: skipUnlessCluster }, () => {
  const name = `deploy-test-${randomBytes(3).toString("hex")}`;
  const ns = `ottoscaler-${name}`;
  let dir = "";

  const setupUser = (arg: string) =>
    exec("bash", [path.join(root, "hack/setup-user.sh"), arg], {
      cwd: root,
      env: { ...process.env, OTTOSCALER_USER_KUBECONFIG_DIR: dir },
    });

  /** resourceVersion of everything the script makes: unchanged means it changed nothing. */
  const versions = async () =>
    kubectl([
      "get",
      `namespace/${ns}`,
      "-n",
      ns,
      "serviceaccount/ottoscaler",
      "role/ottoscaler",
      "rolebinding/ottoscaler",
      "secret/ottoscaler-token",
      "-o",
      'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}',
    ]);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-setup-user-"));
  });

  after(async () => {
    await deleteNamespaceAndWait(ns);
    await rm(dir, { recursive: true, force: true });
  });

  it("rejects a NAME that is not a DNS label", async () => {
    for (const bad of ["Alice", "bob_1", "-x", "x-", "a.b", "a".repeat(53), ""]) {
      await assert.rejects(setupUser(bad), (e: { code?: number }) => e.code === 2, bad);
    }
  });

  it("gives NAME a namespace with the controller's ServiceAccount, Role and RoleBinding; again is a no-op", async () => {
    const first = await setupUser(name);
    const kubeconfig = path.join(dir, `${ns}.kubeconfig`);
    assert.match(first.stdout, new RegExp(`^export OTTOSCALER_NAMESPACE=${ns}$`, "m"));
    assert.match(first.stdout, /^export OTTOSCALER_EXECUTOR=kubernetes$/m);
    assert.ok(first.stdout.includes(`export KUBECONFIG=${kubeconfig}`), first.stdout);
    const before = await versions();
    assert.equal(before.trim().split("\n").length, 5, before);
    const config = await readFile(kubeconfig, "utf8");

    const second = await setupUser(name);
    assert.equal(second.stdout, first.stdout);
    assert.doesNotMatch(second.stderr, /created|configured/, second.stderr);
    assert.equal(await versions(), before, "a second run changed nothing");
    assert.equal(await readFile(kubeconfig, "utf8"), config);

    // The same rules as the deployed Role, from the same file.
    const want = await kubectl([
      "create",
      "--dry-run=client",
      "-f",
      path.join(root, "manifests/rbac/role.yaml"),
      "-o",
      "jsonpath={.rules}",
    ]);
    assert.equal(
      await kubectl(["get", "role/ottoscaler", "-n", ns, "-o", "jsonpath={.rules}"]),
      want,
    );
    await assertPermissions(`system:serviceaccount:${ns}:ottoscaler`, permissionMatrix(ns));

    // The kubeconfig it wrote acts as that ServiceAccount, in that namespace.
    const asUser = (...args: string[]) =>
      exec("kubectl", ["--kubeconfig", kubeconfig, ...args]).then(
        (r) => r.stdout.trim(),
        (e: { stdout?: string }) => (e.stdout ?? "").trim(),
      );
    assert.equal(await asUser("auth", "can-i", "create", "jobs.batch"), "yes");
    assert.equal(await asUser("auth", "can-i", "get", "secrets"), "no");
    assert.equal(await asUser("auth", "can-i", "create", "jobs.batch", "-n", "default"), "no");
    assert.equal(await asUser("config", "view", "--minify", "-o", "jsonpath={..namespace}"), ns);
  });
});

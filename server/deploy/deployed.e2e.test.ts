import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import {
  type BuildLogEntry,
  LogStreamingService,
} from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";
import {
  type PipelineProgress,
  PipelineStatus,
  type PipelineSummary,
} from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { WorkerPhase } from "../../gen/ottoscaler/v1/worker_pb.js";
import { type HandlerProcess, startHandler } from "../dev/otto-handler/handler-process.ts";
import { kubernetesNameOf } from "../domain/worker-id.ts";
import { labels } from "../k8s/labels.ts";
import { type AuditEvent, jobEvents, waitForAudit } from "../testing/audit-log.ts";
import { assertPermissions, permissionMatrix } from "../testing/can-i.ts";
import { kubectl } from "../testing/cluster.ts";
import {
  type ControllerPod,
  controllerAccount,
  controllerDataClaim,
  controllerNamespace,
  controllerPod,
  controllerSelector,
  curl,
  type Deployed,
  deployLocal,
  ottoctl,
  parseLogLines,
  skipUnlessE2e,
} from "../testing/deployment.ts";
import { caughtUp, forwardingWhen } from "../testing/forwarding-status.ts";
import { freePort } from "../testing/free-port.ts";
import {
  assertStatusesComplete,
  assertWorkerLogsComplete,
  readDelivered,
} from "../testing/handler-output.ts";
import { builtImageId } from "../testing/image.ts";
import { PipelineRunWatch } from "../testing/pipeline-run-watch.ts";
import { PodWatch } from "../testing/pod-watch.ts";
import { PortForward } from "../testing/port-forward.ts";
import { applyManifest, bindRole, serviceAccountToken } from "../testing/service-account.ts";
import { collect, createTransport, protocols } from "../testing/test-server.ts";

const namespace = controllerNamespace;

/**
 * What the kubelet appends to a followed log when the container is removed under it (a
 * Recreate rollout or a deleted pod): the follower's words, not the controller's.
 */
const containerGone =
  /^rpc error: code = NotFound desc = an error occurred when try to find container "\w+": not found\n?$/m;

/** `kubectl logs -f` of one pod: everything it has written, until its container ends. */
class FollowedLog implements AsyncDisposable {
  #text = "";
  get text(): string {
    return this.#text.replace(containerGone, "");
  }
  readonly ended: Promise<void>;
  readonly #child;
  readonly #listeners = new Set<() => void>();

  constructor(pod: string) {
    this.#child = spawn("kubectl", ["logs", "-f", "-n", namespace, pod], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child.stdout.on("data", (c: Buffer) => {
      this.#text += c.toString();
      for (const l of this.#listeners) l();
    });
    this.ended = new Promise((resolve) => this.#child.once("exit", () => resolve()));
  }

  /** Resolves once `pattern` has appeared; fails after `timeoutMs`. */
  until(pattern: RegExp, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pattern.test(this.text)) return;
        this.#listeners.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        reject(new Error(`${pattern} not in the log after ${timeoutMs} ms:\n${this.text}`));
      }, timeoutMs);
      this.#listeners.add(check);
      check();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#child.kill();
    await this.ended;
  }
}

/** Resolves once Events with each of these reasons are recorded on the object `name`. */
function eventReasons(name: string, reasons: string[]): Promise<void> {
  const child = spawn(
    "kubectl",
    [
      "get",
      "events",
      "-n",
      namespace,
      "--field-selector",
      `involvedObject.name=${name}`,
      "--watch",
      "-o",
      'jsonpath={.reason}{"\\n"}',
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  const seen = new Set<string>();
  return new Promise((resolve) => {
    child.stdout.on("data", (c: Buffer) => {
      for (const reason of c.toString().split("\n")) seen.add(reason.trim());
      if (reasons.every((r) => seen.has(r))) {
        child.kill();
        resolve();
      }
    });
  });
}

/** `promise`, or a rejection after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
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

/** Every line each worker of examples/full.yaml prints, by stage and worker index. */
function fullYamlLines(pipelineId: string): Map<string, string[]> {
  const shard = (k: number) => {
    const cases = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].filter((n) => n % 3 === k);
    return [...cases.map((n) => `ok case-${n + 1}`), `shard ${k} of 3: ${cases.length} passed`];
  };
  return new Map([
    ["checkout/0", ["checked out 2 source files and 12 test cases"]],
    ["lint/0", ["lint ok: src/greet.sh", "lint ok: src/math.sh"]],
    ["unit-test/0", shard(0)],
    ["unit-test/1", shard(1)],
    ["unit-test/2", shard(2)],
    ["build/0", ["built dist/app.sh version 1.4.2 (5 lines)"]],
    ["integration-test/0", ["integration: 20 + 22 = 42; hello, ottoscaler"]],
    ["publish/0", [`published app-${pipelineId}.sh (59 bytes)`]],
  ]);
}

/** The lines of each worker of each stage's last attempt, keyed "stage/index". */
function linesByWorker(entries: BuildLogEntry[]): Map<string, string[]> {
  const last = new Map<string, number>();
  for (const e of entries) last.set(e.stageId, Math.max(last.get(e.stageId) ?? 0, e.attempt));
  const out = new Map<string, string[]>();
  for (const e of entries) {
    if (e.attempt !== last.get(e.stageId)) continue;
    const index = /\.w(\d+)$/.exec(e.entry?.workerId ?? "")?.[1] ?? "?";
    const key = `${e.stageId}/${index}`;
    out.set(key, [...(out.get(key) ?? []), e.entry?.line ?? ""]);
  }
  return out;
}

/** A pipeline's events, one a line, for an assertion's message. */
function describeEvents(events: PipelineProgress[]): string {
  return events
    .map((e) => `${e.stageId || "pipeline"} ${PipelineStatus[e.status]} ${e.message}`)
    .join("\n");
}

/** What a controller serves of one stored pipeline. */
interface Served {
  /** StreamBuildLogs: every line of every worker. */
  entries: BuildLogEntry[];
  /** WatchPipeline: every status event, to the final one. */
  events: PipelineProgress[];
  /** Its ListPipelines entry. */
  summary: PipelineSummary | undefined;
}

/** What the controller behind `url` serves of these pipelines, each call with a timeout. */
async function served(url: string, pipelineIds: Iterable<string>): Promise<Map<string, Served>> {
  const transport = createTransport("grpc", url, { token: caller });
  const logs = createClient(LogStreamingService, transport);
  const ottoscaler = createClient(OttoscalerService, transport);
  const { pipelines } = await ottoscaler.listPipelines({}, { timeoutMs: 10_000 });
  const out = new Map<string, Served>();
  for (const pipelineId of pipelineIds) {
    out.set(pipelineId, {
      entries: await collect(logs.streamBuildLogs({ pipelineId }, { timeoutMs: 30_000 })),
      events: await collect(ottoscaler.watchPipeline({ pipelineId }, { timeoutMs: 30_000 })),
      summary: pipelines.find((p) => p.pipelineId === pipelineId),
    });
  }
  return out;
}

/**
 * Each of these pipelines served complete: every line each worker printed (by "stage/index"),
 * events to a final SUCCEEDED, listed as SUCCEEDED.
 */
function assertComplete(
  servedNow: Map<string, Served>,
  expected: Map<string, Map<string, string[]>>,
): void {
  for (const [pipelineId, lines] of expected) {
    const one = servedNow.get(pipelineId);
    assert.deepEqual(linesByWorker(one?.entries ?? []), lines, `${pipelineId}: its lines`);
    const last = one?.events.at(-1);
    assert.deepEqual(
      [last?.stageId, last?.status],
      ["", PipelineStatus.SUCCEEDED],
      `${pipelineId}: its final event`,
    );
    assert.equal(one?.summary?.status, PipelineStatus.SUCCEEDED, `${pipelineId}: ListPipelines`);
  }
}

/** The successful creations of these Jobs, once every one of them is in the audit log. */
function createdJobs(names: Set<string>): (events: AuditEvent[]) => AuditEvent[] | undefined {
  return (events) => {
    const created = jobEvents(events, "create", namespace).filter((e) =>
      names.has(e.objectRef?.name ?? ""),
    );
    const seen = new Set(created.map((e) => e.objectRef?.name));
    return [...names].every((n) => seen.has(n)) ? created : undefined;
  };
}

/** Lines each middle-stage worker of the restart test prints, one every 0.5 s. */
const restartLines = 30;

/** The bearer token every call of these tests carries (a ServiceAccount's, set up in before()). */
let caller = "";
/** The reference Otto-handler the controller forwards to from the rollout test on. */
let handler: HandlerProcess | undefined;

describe("the controller deployed by npm run deploy:local", { skip: skipUnlessE2e }, () => {
  let deployed: Deployed;
  let pod: ControllerPod;
  let pods: PodWatch;
  /** Pipelines that ended SUCCEEDED here, with every line each of their workers printed. */
  const finished = new Map<string, Map<string, string[]>>();
  /** Pipelines that ended CANCELLED here. */
  const cancelled = new Set<string>();

  before(async (t) => {
    // A fresh namespace: deploy-to-Available is measured from nothing, and nothing is left over
    // but the data volume (its PersistentVolume is Retained: earlier runs' builds stay stored,
    // and deploy:local binds it to the new claim).
    // A PipelineRun left running by an earlier run of these tests holds its finalizer until a
    // controller ends it: with the namespace (and its controller) going, nothing would.
    const left = await kubectl("get", "pipelineruns", "-n", namespace, "-o", "name").catch(
      () => "",
    );
    for (const name of left.split("\n").filter(Boolean)) {
      await kubectl(
        "patch",
        name,
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":[]}}',
      );
    }
    await kubectl("delete", "namespace", namespace, "--ignore-not-found", "--timeout=180s");
    deployed = await deployLocal();
    for (const line of deployed.stderr.split("\n")) {
      if (/^\[deploy-local .*(built and imported|PersistentVolume|Bound|Available)/.test(line)) {
        t.diagnostic(line);
      }
    }
    t.diagnostic(`npm run deploy:local: ${deployed.seconds.toFixed(1)} s in all`);
    pod = await controllerPod();
    pods = await PodWatch.start(namespace);
    // The controller authenticates its callers: these tests call as a ServiceAccount bound to
    // the admin Role of rbac/callers.yaml, and ottoctl gets its token as users give it.
    caller = await serviceAccountToken(namespace, "e2e-admin");
    await kubectl("delete", "rolebinding", "e2e-admin", "-n", namespace, "--ignore-not-found");
    await bindRole(namespace, "e2e-admin", "ottoscaler-admin", "e2e-admin");
    process.env.OTTOSCALER_TOKEN = caller;
  });

  after(async () => {
    // The controller stays deployed: the cluster is left up for whoever comes next.
    await pods?.[Symbol.asyncDispose]();
    await handler?.stop();
  });

  it("prints a port-forward to its pod and the ottoctl command to try", () => {
    assert.ok(
      deployed.stdout.includes(`kubectl -n ${namespace} port-forward pod/${pod.name} 9090:9090`),
      deployed.stdout,
    );
    assert.match(deployed.stdout, /npx ottoctl run examples\/full\.yaml/);
    assert.match(deployed.stdout, /^ {2}export KUBECONFIG=\S+$/m);
  });

  it("runs the image just built, never pulled, as uid 65532 on a read-only root filesystem with /tmp an emptyDir and OTTOSCALER_DATA_DIR on its Bound claim, both writable", async () => {
    assert.equal(pod.imageID, await builtImageId(), "the image hack/build-image.sh just built");
    const [container] = pod.spec.containers;
    assert.equal(container?.image, "docker.io/library/ottoscaler:dev");
    assert.equal(container?.imagePullPolicy, "Never");
    assert.equal(pod.spec.serviceAccountName, "ottoscaler");
    assert.equal(container?.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(container?.securityContext?.allowPrivilegeEscalation, false);
    // Executor and worker namespace are left for the controller to find out by itself; it
    // listens beyond loopback with authentication on (issue 12).
    assert.deepEqual(container?.env?.map((e) => e.name).sort(), [
      "OTTOSCALER_ALLOWED_HOSTS",
      "OTTOSCALER_AUTH",
      "OTTOSCALER_AUTH_CACHE_SECONDS",
      "OTTOSCALER_DATA_DIR",
      "OTTOSCALER_HOST",
      "OTTOSCALER_LOG_RETENTION_BYTES",
      "OTTOSCALER_PORT",
      "OTTOSCALER_WORKER_SERVICE_ACCOUNT",
      "POD_NAME",
    ]);
    const value = (name: string) => container?.env?.find((e) => e.name === name)?.value;
    assert.equal(value("OTTOSCALER_AUTH"), "kubernetes");
    assert.equal(
      container?.env?.find((e) => e.name === "OTTOSCALER_DATA_DIR")?.value,
      "/var/lib/ottoscaler",
    );
    // /tmp is scratch space of the pod's own; the data volume is the claim, which outlives it.
    const volumes = new Map(pod.spec.volumes?.map((v) => [v.name, v]));
    assert.ok(volumes.get("tmp")?.emptyDir, "/tmp is an emptyDir");
    assert.deepEqual(volumes.get("data")?.persistentVolumeClaim, {
      claimName: controllerDataClaim,
    });
    // Every mount but the service account token's.
    const mounts = container?.volumeMounts?.filter(
      (m) => !m.mountPath.startsWith("/var/run/secrets/kubernetes.io/"),
    );
    assert.deepEqual(mounts?.map((m) => `${m.name} ${m.mountPath}`).sort(), [
      "data /var/lib/ottoscaler",
      "tmp /tmp",
    ]);
    const claim = JSON.parse(
      await kubectl("get", "pvc", "-n", namespace, controllerDataClaim, "-o", "json"),
    ) as { spec: { accessModes: string[]; volumeName: string }; status: { phase: string } };
    assert.equal(claim.status.phase, "Bound");
    assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
    const out = await kubectl(
      "exec",
      "-n",
      namespace,
      pod.name,
      "--",
      "sh",
      "-c",
      [
        "id -u",
        "cat /proc/1/cmdline | tr '\\0' ' '; echo",
        "touch /app/x 2>/dev/null && echo app-writable || echo app-read-only",
        "touch /tmp/x && echo tmp-writable",
        'touch "$OTTOSCALER_DATA_DIR/e2e-probe" && echo "$OTTOSCALER_DATA_DIR writable"',
      ].join("; "),
    );
    assert.deepEqual(out.trim().split("\n"), [
      "65532",
      "node server/main.ts ",
      "app-read-only",
      "tmp-writable",
      "/var/lib/ottoscaler writable",
    ]);
    // What the pod writes there lands on the claim's PersistentVolume: on the local cluster, a
    // hostPath that hack/deploy-local.sh made.
    const hostPath = await kubectl(
      "get",
      "pv",
      claim.spec.volumeName,
      "-o",
      "jsonpath={.spec.hostPath.path}",
    );
    assert.ok(hostPath.startsWith("/"), `the PersistentVolume's hostPath: ${hostPath}`);
    assert.ok((await readdir(hostPath)).includes("e2e-probe"), `e2e-probe in ${hostPath}`);
    await rm(path.join(hostPath, "e2e-probe"));
  });

  it("picked the Kubernetes executor by itself and logs JSON lines with a level and a message", async () => {
    const lines = parseLogLines(await kubectl("logs", "-n", namespace, pod.name));
    assert.ok(lines.length > 0);
    for (const line of lines) {
      assert.equal(typeof line.level, "number", JSON.stringify(line));
      assert.ok(typeof line.msg === "string" && line.msg !== "", JSON.stringify(line));
    }
    const listening = lines.find((l) => l.event === "serverListening");
    assert.equal(listening?.executor, "kubernetes");
    assert.ok(lines.some((l) => l.event === "serverReady"));
  });

  it("answers /healthz, /readyz, GetWorkerStatus and grpc.health.v1 through a port-forward to its pod", async () => {
    await using pf = await PortForward.start(namespace, pod.name);
    assert.deepEqual(await curl(`${pf.url}/healthz`), { status: 200, body: "ok\n" });
    assert.deepEqual(await curl(`${pf.url}/readyz`), { status: 200, body: "ok\n" });
    const status = await curl(
      `${pf.url}/ottoscaler.v1.OttoscalerService/GetWorkerStatus`,
      "{}",
      caller,
    );
    assert.equal(status.status, 200, status.body);
    const health = createClient(Health, createTransport("grpc", pf.url, { token: caller }));
    const checked = await health.check({ service: "" }, { timeoutMs: 10_000 });
    assert.equal(checked.status, HealthCheckResponse_ServingStatus.SERVING);
  });

  for (const protocol of protocols) {
    it(`runs examples/full.yaml with ottoctl over ${protocol}: SUCCEEDED, every worker a Job its service account created in ${namespace}, every line in StreamBuildLogs`, async (t) => {
      await using pf = await PortForward.start(namespace, pod.name);
      const started = performance.now();
      const run = await ottoctl([
        "--server",
        pf.url,
        "--protocol",
        protocol,
        "run",
        "examples/full.yaml",
      ]);
      t.diagnostic(`ottoctl run: ${((performance.now() - started) / 1000).toFixed(1)} s`);
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      const lastLine = run.stdout.trim().split("\n").at(-1) ?? "";
      const pipelineId = /pipeline\s+SUCCEEDED\b.*\s(\S+)$/.exec(lastLine)?.[1];
      assert.ok(pipelineId, run.stdout);

      // Every line every worker printed, through the same port-forward and protocol.
      const logs = createClient(
        LogStreamingService,
        createTransport(protocol, pf.url, { token: caller }),
      );
      const entries = await collect(logs.streamBuildLogs({ pipelineId }, { timeoutMs: 30_000 }));
      assert.deepEqual(linesByWorker(entries), fullYamlLines(pipelineId));
      finished.set(pipelineId, fullYamlLines(pipelineId));

      // Each worker pod was made by a Job (its controlling owner), one Job per worker.
      const workerPods = new Set(
        pods.samples.filter((s) => s.labels[labels.pipeline] === pipelineId).map((s) => s.name),
      );
      const owners = [...workerPods].map((p) => pods.owners.get(p) ?? `no owner for ${p}`);
      assert.ok(
        owners.every((o) => o.startsWith("Job/")),
        owners.join(", "),
      );
      const jobs = new Set(owners.map((o) => o.slice("Job/".length)));
      const workerIds = new Set(entries.map((e) => e.entry?.workerId ?? ""));
      assert.deepEqual(
        [...workerIds].map(kubernetesNameOf).filter((j) => !jobs.has(j)),
        [],
        "every worker that logged ran in a Job's pod",
      );
      assert.ok(jobs.size >= 8, `8 workers, at least 8 Jobs: ${[...jobs].join(", ")}`);

      // The API server's own record: the controller's service account created those Jobs in
      // its namespace (and nobody else created Jobs of those names), then deleted them.
      const created = await waitForAudit(createdJobs(jobs));
      assert.deepEqual([...new Set(created.map((e) => e.user.username))], [controllerAccount]);
      assert.equal(created.length, jobs.size, "one creation per Job");
      const deleted = await waitForAudit((events) => {
        const d = jobEvents(events, "delete", namespace).filter((e) =>
          jobs.has(e.objectRef?.name ?? ""),
        );
        return new Set(d.map((e) => e.objectRef?.name)).size === jobs.size ? d : undefined;
      });
      assert.deepEqual([...new Set(deleted.map((e) => e.user.username))], [controllerAccount]);
    });
  }

  it("has a service account allowed what the executor does and denied pods in other namespaces, secrets and cluster-scoped writes (kubectl auth can-i)", async () => {
    await assertPermissions(controllerAccount, permissionMatrix(namespace, { reviews: true }));
  });

  it("at a rollout restart (SIGTERM as PID 1) leaves a running pipeline's Jobs running; the new pod adopts them and the pipeline SUCCEEDS with one create per worker Job and every line exactly once, in order, in StreamBuildLogs and at the reference Otto-handler", async (t) => {
    // The reference Otto-handler on this machine, where the controller's pod reaches it at the
    // node's address; setting its URL rolls the controller out once before the test proper.
    const handlerOut = path.join(
      await mkdtemp(path.join(os.tmpdir(), "ottoscaler-handler-")),
      "out.jsonl",
    );
    handler = await startHandler(["--host", "0.0.0.0", "--out", handlerOut]);
    const nodeIp = (
      await kubectl(
        "get",
        "nodes",
        "-o",
        'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}',
      )
    ).trim();
    await kubectl(
      "set",
      "env",
      "deployment/ottoscaler",
      "-n",
      namespace,
      `OTTO_HANDLER_URL=http://${nodeIp}:${handler.port}`,
      "OTTO_HANDLER_MAX_BACKOFF_MS=1000",
    );
    await kubectl("rollout", "status", "deployment/ottoscaler", "-n", namespace, "--timeout=180s");
    pod = await controllerPod();
    const old = pod.name;
    await using log = new FollowedLog(old);
    await log.until(/"event":"serverReady"/, 30_000);
    const pipelineId = `e2e-restart-${randomBytes(3).toString("hex")}`;
    // examples/full.yaml's shape: a checkout, three stages in parallel (one of three workers)
    // that print numbered lines for long enough to be running when the controller stops, and
    // a last stage after them.
    const counted = (name: string) =>
      `for i in $(seq 1 ${restartLines}); do echo "${name} $OTTOSCALER_WORKER_INDEX $i"; sleep 0.5; done`;
    const stages = [
      { id: "checkout", image: "busybox", command: ["echo checked out"] },
      ...["lint", "unit-test", "build"].map((id) => ({
        id,
        image: "busybox",
        dependsOn: ["checkout"],
        workers: id === "unit-test" ? 3 : 1,
        command: [counted(id)],
      })),
      {
        id: "publish",
        image: "busybox",
        dependsOn: ["lint", "unit-test", "build"],
        command: ["echo published"],
      },
    ];
    const middle = ["lint/0", "unit-test/0", "unit-test/1", "unit-test/2", "build/0"];
    const middleJobs = middle.map((key) => {
      const [stage, index] = key.split("/");
      return kubernetesNameOf(`${pipelineId}.${stage}.a1.w${index}`);
    });
    let restarted = 0;
    {
      await using pf = await PortForward.start(namespace, old);
      const client = createClient(
        OttoscalerService,
        createTransport("grpc", pf.url, { token: caller }),
      );
      const stream = client.executePipeline({ pipelineId, stages }, { timeoutMs: 120_000 });
      const allRunning = () =>
        middleJobs.every((job) =>
          [...pods.everRunning].some((p) => pods.owners.get(p) === `Job/${job}`),
        );
      try {
        for await (const event of stream) {
          if (
            restarted === 0 &&
            event.stageId === "build" &&
            event.status === PipelineStatus.RUNNING
          ) {
            await within(
              pods.changed.until(allRunning),
              60_000,
              "the middle stages' pods never ran",
            );
            restarted = performance.now();
            await kubectl("rollout", "restart", "deployment/ottoscaler", "-n", namespace);
          }
        }
      } catch {
        // The old controller going away ends the stream; the pipeline goes on without it.
      }
    }
    assert.ok(restarted > 0, "the pipeline's middle stages never ran");
    await within(log.ended, 30_000, "kubectl logs -f did not end with the container");
    const stoppedAfter = (performance.now() - restarted) / 1000;
    const lines = parseLogLines(log.text);
    assert.equal(lines.find((l) => l.event === "serverStopping")?.signal, "SIGTERM");
    const left = lines.find((l) => l.event === "workersLeftRunning");
    assert.deepEqual(new Set(left?.jobs as string[]), new Set(middleJobs), log.text);
    const stopped = lines.find((l) => l.event === "serverStopped");
    assert.ok(stopped, log.text);
    assert.ok(stoppedAfter < 25, `stopped ${stoppedAfter.toFixed(1)} s after the restart`);

    // Every middle pod was running when the old controller had stopped.
    const stoppedAt = Number(stopped.time);
    for (const job of middleJobs) {
      const workerPod = [...pods.owners].find(([, owner]) => owner === `Job/${job}`)?.[0];
      assert.ok(workerPod, `no pod of Job ${job} seen`);
      const before = pods.samples.filter((s) => s.name === workerPod && s.at <= stoppedAt);
      assert.equal(before.at(-1)?.phase, "Running", `${job}: ${JSON.stringify(before)}`);
    }

    await kubectl("rollout", "status", "deployment/ottoscaler", "-n", namespace, "--timeout=180s");
    pod = await controllerPod();
    assert.notEqual(pod.name, old);
    await using pf = await PortForward.start(namespace, pod.name);
    const client = createClient(
      OttoscalerService,
      createTransport("grpc", pf.url, { token: caller }),
    );
    const events = await collect(client.watchPipeline({ pipelineId }, { timeoutMs: 120_000 }));
    const readyAfter = (performance.now() - restarted) / 1000;
    assert.deepEqual(
      [events.at(-1)?.stageId, events.at(-1)?.status],
      ["", PipelineStatus.SUCCEEDED],
      describeEvents(events),
    );
    // One history, numbered without gaps or repeats across the two controllers.
    assert.deepEqual(
      events.map((e) => Number(e.sequence)),
      events.map((_, i) => i + 1),
    );
    const successor = parseLogLines(await kubectl("logs", "-n", namespace, pod.name));
    assert.deepEqual(
      new Set(successor.filter((l) => l.event === "jobAdopted").map((l) => l.job)),
      new Set(middleJobs),
    );
    assert.deepEqual(
      successor.filter((l) => l.event === "orphanJobDeleted"),
      [],
    );

    // Exactly one create per worker Job, all by the controller's account.
    const allJobs = new Set(
      stages.flatMap((stage) =>
        Array.from({ length: "workers" in stage ? stage.workers : 1 }, (_, i) =>
          kubernetesNameOf(`${pipelineId}.${stage.id}.a1.w${i}`),
        ),
      ),
    );
    const creates = await waitForAudit(createdJobs(allJobs), 60_000);
    assert.deepEqual(
      creates.map((e) => e.objectRef?.name).sort(),
      [...allJobs].sort(),
      "one create per worker Job",
    );
    assert.ok(creates.every((e) => e.user.username === controllerAccount));

    // Every worker line exactly once, in order, with its sequence from 1 without gaps.
    const entries = (await served(pf.url, [pipelineId])).get(pipelineId)?.entries ?? [];
    const expected = new Map<string, string[]>([
      ["checkout/0", ["checked out"]],
      ...middle.map((key): [string, string[]] => {
        const [stage, index] = key.split("/");
        return [key, Array.from({ length: restartLines }, (_, i) => `${stage} ${index} ${i + 1}`)];
      }),
      ["publish/0", ["published"]],
    ]);
    assert.deepEqual(linesByWorker(entries), expected);
    const byWorker = new Map<string, number[]>();
    for (const e of entries) {
      const id = e.entry?.workerId ?? "";
      byWorker.set(id, [...(byWorker.get(id) ?? []), Number(e.entry?.sequence)]);
    }
    for (const [id, sequences] of byWorker) {
      assert.deepEqual(
        sequences,
        sequences.map((_, i) => i + 1),
        `${id}: sequences`,
      );
    }
    // The Jobs went once the pipeline's end was recorded.
    await waitForAudit((events) => {
      const gone = new Set(
        jobEvents(events, "delete", namespace).map((e) => e.objectRef?.name ?? ""),
      );
      return [...allJobs].every((j) => gone.has(j)) ? true : undefined;
    }, 60_000);
    // The reference Otto-handler has them too: each worker's lines once, in order, from 1.
    const logs = createClient(
      LogStreamingService,
      createTransport("grpc", pf.url, { token: caller }),
    );
    await forwardingWhen(logs, caughtUp(), 120_000);
    const delivered = await readDelivered(handlerOut);
    for (const workerId of [...delivered.logs.keys()]) {
      if (!workerId.startsWith(`${pipelineId}.`)) delivered.logs.delete(workerId);
    }
    assertWorkerLogsComplete(
      delivered,
      new Map(
        [...expected].map(([key, lines]) => {
          const [stage, index] = key.split("/");
          return [
            `${pipelineId}.${stage}.a1.w${index}`,
            { count: lines.length, lineOf: (sequence: number) => lines[sequence - 1] ?? "" },
          ];
        }),
      ),
    );
    assert.equal(
      assertStatusesComplete(delivered, pipelineId).length,
      events.length,
      "every status event delivered",
    );
    // How soon the new pod was at work: Ready, then its first adopted Job.
    const readyAt = Number(successor.find((l) => l.event === "serverReady")?.time);
    const adoptedAt = Math.min(
      ...successor.filter((l) => l.event === "jobAdopted").map((l) => Number(l.time)),
    );
    const listeningAt = Number(successor.find((l) => l.event === "serverListening")?.time);
    t.diagnostic(
      `rollout restart: old pod stopped after ${stoppedAfter.toFixed(1)} s; the pipeline ended on the new pod ${readyAfter.toFixed(1)} s after the restart; new controller listening → first Job adopted ${adoptedAt - listeningAt} ms, → ready ${readyAt - listeningAt} ms`,
    );
    finished.set(pipelineId, expected);
  });

  it("keeps ottoctl run going across a rollout restart through a port-forward re-established to the new pod: exit 0, one reconnect line, every event once", async (t) => {
    const pipelineId = `e2e-ottoctl-${randomBytes(3).toString("hex")}`;
    const dir = await mkdtemp(path.join(os.tmpdir(), "ottoctl-restart-"));
    const file = path.join(dir, "pipeline.yaml");
    await writeFile(
      file,
      [
        `pipelineId: ${pipelineId}`,
        "stages:",
        "  - id: before",
        "    image: busybox",
        '    command: ["echo before"]',
        "  - id: long",
        "    image: busybox",
        "    dependsOn: [before]",
        '    command: ["for i in $(seq 1 30); do echo long $i; sleep 0.5; done"]',
        "  - id: after",
        "    image: busybox",
        "    dependsOn: [long]",
        '    command: ["echo after"]',
        "",
      ].join("\n"),
    );
    const port = await freePort();
    const old = pod.name;
    let forward = await PortForward.start(namespace, old, 9090, port);
    t.after(() => forward[Symbol.asyncDispose]());
    const child = spawn(
      process.execPath,
      [
        path.join(import.meta.dirname, "../../bin/ottoctl.js"),
        "--server",
        `http://127.0.0.1:${port}`,
        "--protocol",
        "grpc",
        "--json",
        "run",
        file,
      ],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, OTTOSCALER_TOKEN: caller } },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const longJob = kubernetesNameOf(`${pipelineId}.long.a1.w0`);
    await within(
      pods.changed.until(() =>
        [...pods.everRunning].some((p) => pods.owners.get(p) === `Job/${longJob}`),
      ),
      60_000,
      "the long stage never ran",
    );
    await using oldLog = new FollowedLog(old);
    await kubectl("rollout", "restart", "deployment/ottoscaler", "-n", namespace);
    await within(oldLog.ended, 60_000, "the old controller did not stop");
    await kubectl("rollout", "status", "deployment/ottoscaler", "-n", namespace, "--timeout=180s");
    pod = await controllerPod();
    assert.notEqual(pod.name, old);
    // The user's port-forward died with the old pod; they start it again, on the same port.
    await forward[Symbol.asyncDispose]();
    forward = await PortForward.start(namespace, pod.name, 9090, port);
    const code = await within(exited, 120_000, "ottoctl did not finish");
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    const reconnects = stderr.split("\n").filter((l) => /^Lost the connection to /.test(l));
    assert.equal(reconnects.length, 1, stderr);
    const sequences = stdout
      .trim()
      .split("\n")
      .map((l) => Number((JSON.parse(l) as { sequence?: string }).sequence));
    assert.deepEqual(
      sequences,
      sequences.map((_, i) => i + 1),
      "every event printed once, in order",
    );
    const last = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { status?: string };
    assert.equal(last.status, "PIPELINE_STATUS_SUCCEEDED");
    finished.set(
      pipelineId,
      new Map([
        ["before/0", ["before"]],
        ["long/0", Array.from({ length: 30 }, (_, i) => `long ${i + 1}`)],
        ["after/0", ["after"]],
      ]),
    );
  });

  it("runs a PipelineRun applied with kubectl to SUCCEEDED, marks an invalid one with its field error, and cancels a running one that is deleted, leaving no pod", async () => {
    await using runs = await PipelineRunWatch.start(namespace);
    await kubectl(
      "delete",
      "pipelinerun",
      "demo",
      "e2e-invalid",
      "e2e-deleted",
      "-n",
      namespace,
      "--ignore-not-found",
    );
    await kubectl("apply", "-n", namespace, "-f", "examples/pipelinerun.yaml");
    const demo = await within(
      runs.until("demo", (o) => o.status?.phase === "SUCCEEDED"),
      90_000,
      "examples/pipelinerun.yaml did not succeed",
    );
    assert.equal(demo.status?.progress, "2/2");
    assert.match(demo.status?.pipelineId ?? "", /^demo-[0-9a-f]{8}$/);
    // kubectl describe tells the story: the Events the controller recorded on it.
    await within(
      eventReasons("demo", ["StageStarted", "StageSucceeded", "PipelineSucceeded"]),
      30_000,
      "no Events on the PipelineRun",
    );
    const described = await kubectl("describe", "pipelinerun", "demo", "-n", namespace);
    assert.match(described, /Normal\s+StageStarted\s+.*stage build: attempt 1 running/);
    assert.match(described, /Normal\s+PipelineSucceeded\s+.*pipeline succeeded/);
    // What kubectl shows: the printer columns.
    const table = await kubectl("get", "pipelineruns", "demo", "-n", namespace);
    assert.match(table, /^NAME\s+PHASE\s+STAGES\s+AGE\ndemo\s+SUCCEEDED\s+2\/2\s+/);
    // The run is the API's like any other: its logs and events are served.
    await using pf = await PortForward.start(namespace, pod.name);
    const entries = (await served(pf.url, [demo.status?.pipelineId ?? ""])).get(
      demo.status?.pipelineId ?? "",
    );
    assert.deepEqual(
      linesByWorker(entries?.entries ?? []),
      new Map([
        ["build/0", ["building", "built"]],
        ["test/0", ["test shard 0 of 2 passed"]],
        ["test/1", ["test shard 1 of 2 passed"]],
      ]),
    );

    const manifest = (name: string, stages: unknown[]) =>
      JSON.stringify({
        apiVersion: "ottoscaler.io/v1alpha1",
        kind: "PipelineRun",
        metadata: { name, namespace },
        spec: { pipeline: { stages } },
      });
    await applyManifest(
      manifest("e2e-invalid", [{ id: "Bad_Id", image: "busybox", command: ["true"] }]),
    );
    const invalid = await within(
      runs.until("e2e-invalid", (o) => o.status?.phase === "INVALID"),
      30_000,
      "the invalid PipelineRun got no status",
    );
    assert.deepEqual(
      invalid.status?.conditions?.map((c) => [c.type, c.status, c.reason]),
      [["Valid", "False", "InvalidSpec"]],
    );
    assert.match(
      invalid.status?.conditions?.[0]?.message ?? "",
      /^stages\[0\]\.id: "Bad_Id" must be lower-case/,
    );

    await applyManifest(
      manifest("e2e-deleted", [
        { id: "sleeper", image: "busybox", workers: 2, command: ["echo up; sleep 300"] },
      ]),
    );
    const running = await within(
      runs.until("e2e-deleted", (o) => o.status?.stages?.[0]?.status === "RUNNING"),
      60_000,
      "the PipelineRun to delete never ran",
    );
    const deletedId = running.status?.pipelineId ?? "";
    await within(
      pods.changed.until(
        () => [...pods.running].filter((p) => p.startsWith(`${deletedId}-`)).length === 2,
      ),
      60_000,
      "its two pods never ran",
    );
    await kubectl("delete", "pipelinerun", "e2e-deleted", "-n", namespace, "--timeout=60s");
    // kubectl returns once the object is gone: the finalizer held it until the run had ended.
    assert.ok(runs.deleted.has("e2e-deleted"));
    const left = await kubectl(
      "get",
      "pods",
      "-n",
      namespace,
      "-l",
      `${labels.pipeline}=${deletedId}`,
      "-o",
      "name",
    );
    assert.equal(left.trim(), "", "no pod left");
    const events = (await served(pf.url, [deletedId])).get(deletedId)?.events ?? [];
    assert.equal(events.at(-1)?.status, PipelineStatus.CANCELLED, describeEvents(events));
    assert.match(events.at(-1)?.message ?? "", /PipelineRun e2e-deleted was deleted/);
    cancelled.add(deletedId);
    await kubectl("delete", "pipelinerun", "demo", "e2e-invalid", "-n", namespace);
  });

  it("keeps a worker group of 3 through a rollout restart: the same 3 pods Running under the same worker ids, GetWorkerStatus unchanged, and ScaleDown works after it", async () => {
    const taskId = `e2e-group-${randomBytes(3).toString("hex")}`;
    const jobs = [0, 1, 2].map((i) => kubernetesNameOf(`${taskId}.w${i}`));
    const podsOf = () =>
      jobs.map((job) => [...pods.owners].find(([, owner]) => owner === `Job/${job}`)?.[0]);
    let before: Awaited<ReturnType<typeof status>>;
    const status = async (url: string) => {
      const client = createClient(
        OttoscalerService,
        createTransport("grpc", url, { token: caller }),
      );
      const { workers } = await client.getWorkerStatus({ taskId }, { timeoutMs: 10_000 });
      return workers
        .map((w) => ({
          workerId: w.workerId,
          index: w.index,
          phase: w.phase,
          image: w.image,
          createdAt: w.createdAt,
          startedAt: w.startedAt,
        }))
        .sort((a, b) => a.index - b.index);
    };
    {
      await using pf = await PortForward.start(namespace, pod.name);
      const client = createClient(
        OttoscalerService,
        createTransport("grpc", pf.url, { token: caller }),
      );
      await client.scaleUp(
        {
          taskId,
          workerCount: 3,
          image: "busybox",
          command: ["while true; do echo alive; sleep 1; done"],
        },
        { timeoutMs: 30_000 },
      );
      await within(
        pods.changed.until(() => podsOf().every((p) => p !== undefined && pods.running.has(p))),
        60_000,
        "the group's 3 pods never ran",
      );
      // Running as the API reports it too: its watch says when.
      const phases = new Map<string, WorkerPhase>();
      for await (const event of client.watchWorkers({ taskId }, { timeoutMs: 60_000 })) {
        if (event.worker !== undefined) phases.set(event.worker.workerId, event.worker.phase);
        if (phases.size === 3 && [...phases.values()].every((p) => p === WorkerPhase.RUNNING))
          break;
      }
      before = await status(pf.url);
    }
    const podsBefore = podsOf();
    const old = pod.name;
    await kubectl("rollout", "restart", "deployment/ottoscaler", "-n", namespace);
    await kubectl("rollout", "status", "deployment/ottoscaler", "-n", namespace, "--timeout=180s");
    pod = await controllerPod();
    assert.notEqual(pod.name, old);
    await using pf = await PortForward.start(namespace, pod.name);
    assert.deepEqual(await status(pf.url), before);
    assert.deepEqual(podsOf(), podsBefore, "the same pods");
    assert.ok(
      podsBefore.every((p) => p !== undefined && pods.running.has(p)),
      "still running",
    );
    const creates = await waitForAudit(createdJobs(new Set(jobs)));
    assert.equal(creates.length, 3, "one create per worker Job");

    const client = createClient(
      OttoscalerService,
      createTransport("grpc", pf.url, { token: caller }),
    );
    const down = await client.scaleDown({ taskId, workerCount: 3 }, { timeoutMs: 60_000 });
    assert.deepEqual(new Set(down.changedWorkerIds), new Set(before.map((w) => w.workerId)));
    assert.ok(down.workers.every((w) => w.phase === WorkerPhase.STOPPED));
    await within(
      pods.changed.until(() => podsBefore.every((p) => !pods.running.has(p ?? ""))),
      60_000,
      "the group's pods did not go",
    );
  });

  it("with two controller pods by mistake (kubectl scale --replicas=2), only the lease holder acts: the other stands by unready, refusing calls and leaving the data volume alone, and a pipeline run meanwhile SUCCEEDS with each Job created once, by the holder", async (t) => {
    const leader = pod.name;
    await using controllers = await PodWatch.start(namespace, controllerSelector);
    await kubectl("scale", "deployment/ottoscaler", "-n", namespace, "--replicas=2");
    let standby = "";
    t.after(async () => {
      await kubectl("scale", "deployment/ottoscaler", "-n", namespace, "--replicas=1");
      if (standby !== "") {
        await kubectl("wait", "--for=delete", `pod/${standby}`, "-n", namespace, "--timeout=120s");
      }
    });
    await within(
      controllers.changed.until(() => [...controllers.running].some((p) => p !== leader)),
      120_000,
      "the second controller pod never ran",
    );
    standby = [...controllers.running].find((p) => p !== leader) ?? "";
    {
      await using standbyLog = new FollowedLog(standby);
      await standbyLog.until(/"event":"leaseWaiting"/, 60_000);
      await using spf = await PortForward.start(namespace, standby);
      assert.equal((await curl(`${spf.url}/readyz`)).status, 503, "a standby is not ready");
      const refused = await curl(
        `${spf.url}/ottoscaler.v1.OttoscalerService/GetWorkerStatus`,
        "{}",
        caller,
      );
      assert.equal(refused.status, 503, refused.body);
      assert.match(refused.body, /"code":"unavailable".*standby/);

      const pipelineId = `e2e-two-${randomBytes(3).toString("hex")}`;
      const stages = [
        { id: "one", image: "busybox", workers: 2, command: ["echo one $OTTOSCALER_WORKER_INDEX"] },
        { id: "two", image: "busybox", dependsOn: ["one"], command: ["echo two"] },
      ];
      await using pf = await PortForward.start(namespace, leader);
      const client = createClient(
        OttoscalerService,
        createTransport("grpc", pf.url, { token: caller }),
      );
      const events = await collect(
        client.executePipeline({ pipelineId, stages }, { timeoutMs: 120_000 }),
      );
      assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED, describeEvents(events));
      const jobs = new Set(
        ["one.a1.w0", "one.a1.w1", "two.a1.w0"].map((w) => kubernetesNameOf(`${pipelineId}.${w}`)),
      );
      const creates = await waitForAudit(createdJobs(jobs), 60_000);
      assert.deepEqual(
        creates.map((e) => e.objectRef?.name).sort(),
        [...jobs].sort(),
        "each Job created once",
      );
      const leaderIp = (
        await kubectl("get", "pod", leader, "-n", namespace, "-o", "jsonpath={.status.podIP}")
      ).trim();
      assert.deepEqual(
        new Set(creates.map((e) => e.sourceIPs?.[0])),
        new Set([leaderIp]),
        "every create came from the lease holder's pod",
      );
      const standbyLines = parseLogLines(standbyLog.text);
      assert.deepEqual(
        standbyLines
          .map((l) => l.event)
          .filter((e) => e === "storeLoaded" || e === "leaseAcquired" || e === "serverReady"),
        [],
        "the standby never took over, opened the data directory or got ready",
      );
      finished.set(
        pipelineId,
        new Map([
          ["one/0", ["one 0"]],
          ["one/1", ["one 1"]],
          ["two/0", ["two"]],
        ]),
      );
    }
    // Scaling back removes the unready standby first: the holder stays.
    await kubectl("scale", "deployment/ottoscaler", "-n", namespace, "--replicas=1");
    await kubectl("wait", "--for=delete", `pod/${standby}`, "-n", namespace, "--timeout=120s");
    standby = "";
    assert.equal((await controllerPod()).name, leader);
  });

  it("replaces an idle controller pod that is deleted: the Deployment brings a new one Ready, which serves every pipeline finished before (StreamBuildLogs, WatchPipeline, ListPipelines) from the claim", async (t) => {
    const old = pod.name;
    // A pipeline with known output, run to its end on this pod: two workers, 25 lines each (the
    // pause before exiting is for containerd 1.6 here, see kubernetes-executor.k8s.test.ts).
    const keptId = `e2e-kept-${randomBytes(3).toString("hex")}`;
    const kept = (w: number) => Array.from({ length: 25 }, (_, i) => `kept ${w}.${i + 1}`);
    let servedByOld: Map<string, Served>;
    {
      await using pf = await PortForward.start(namespace, old);
      const client = createClient(
        OttoscalerService,
        createTransport("grpc", pf.url, { token: caller }),
      );
      const run = await collect(
        client.executePipeline(
          {
            pipelineId: keptId,
            stages: [
              {
                id: "kept",
                image: "busybox",
                workers: 2,
                command: [
                  `awk -v w="$OTTOSCALER_WORKER_INDEX" 'BEGIN { for (i = 1; i <= 25; i++) print "kept " w "." i }'; sleep 1`,
                ],
              },
            ],
          },
          { timeoutMs: 120_000 },
        ),
      );
      assert.equal(run.at(-1)?.status, PipelineStatus.SUCCEEDED, describeEvents(run));
      finished.set(
        keptId,
        new Map([
          ["kept/0", kept(0)],
          ["kept/1", kept(1)],
        ]),
      );
      // Everything that ended so far (here and on the pods before), as this pod serves it.
      servedByOld = await served(pf.url, [...finished.keys(), ...cancelled]);
      assertComplete(servedByOld, finished);

      const status = await curl(
        `${pf.url}/ottoscaler.v1.OttoscalerService/GetWorkerStatus`,
        "{}",
        caller,
      );
      const workers = (JSON.parse(status.body) as { workers?: { phase?: string }[] }).workers;
      assert.deepEqual(
        (workers ?? []).filter((w) => w.phase === "WORKER_PHASE_RUNNING"),
        [],
        "idle",
      );
    }
    await using log = new FollowedLog(old);
    await log.until(/"event":"serverReady"/, 30_000);
    await using controllers = await PodWatch.start(namespace, controllerSelector);
    const started = performance.now();
    // Not --wait: the old pod object outlives its container by its grace period and more (the
    // 1.20 kubelet reclaims it slowly); what matters is the replacement.
    await kubectl("delete", "pod", "-n", namespace, old, "--wait=false");
    await within(log.ended, 30_000, "kubectl logs -f did not end with the container");
    const lines = parseLogLines(log.text);
    assert.ok(lines.some((l) => l.event === "serverStopped"));
    assert.ok(!lines.some((l) => l.event === "workersLeftRunning"), "nothing was running");
    // The ReplicaSet makes the replacement as soon as the old pod begins terminating.
    const replacement = () => controllers.samples.find((s) => s.name !== old)?.name;
    await within(
      controllers.changed.until(() => replacement() !== undefined),
      60_000,
      "no new pod",
    );
    await kubectl(
      "wait",
      "--for=condition=Ready",
      "-n",
      namespace,
      `pod/${replacement()}`,
      "--timeout=120s",
    );
    t.diagnostic(
      `pod deleted to a new one Ready: ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    pod = await controllerPod();
    assert.notEqual(pod.name, old);
    assert.equal(pod.restarts, 0);
    await using pf = await PortForward.start(namespace, pod.name);
    assert.deepEqual(await curl(`${pf.url}/readyz`), { status: 200, body: "ok\n" });

    // The new pod found them all on the claim: every line, event and summary, as before.
    const servedByNew = await served(pf.url, [...finished.keys(), ...cancelled]);
    assertComplete(servedByNew, finished);
    assert.deepEqual(servedByNew, servedByOld);
    t.diagnostic(`served by the new pod: ${[...servedByNew.keys()].join(", ")}`);
  });
});

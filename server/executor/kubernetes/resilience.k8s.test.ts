import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { type PipelineProgress, PipelineStatus } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { kubernetesNameOf } from "../../domain/worker-id.ts";
import { createClients, loadKubeConfig } from "../../k8s/client.ts";
import { createLogger, silentLogger } from "../../observability/logger.ts";
import {
  clusterExecutorOptions,
  clusterTestEnv,
  createTestNamespace,
  deleteNamespace,
  kubectl,
  skipUnlessCluster,
  startClusterServer,
  testImage,
} from "../../testing/cluster.ts";
import { collect, startTestServer } from "../../testing/test-server.ts";
import { defaultResources } from "../executor.ts";
import { createJobSpec } from "./job-spec.ts";
import { KubernetesExecutor } from "./kubernetes-executor.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../../..");

/** A logger whose JSON lines the test can read, as the controller writes them to stdout. */
function capturedLogger() {
  const out = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  out.on("data", (chunk: Buffer) => {
    for (const l of chunk.toString().split("\n")) if (l.trim()) lines.push(JSON.parse(l));
  });
  const logger = createLogger({ level: "debug", destination: out });
  return { logger, events: (name: string) => lines.filter((l) => l.event === name) };
}

function stageStatus(events: PipelineProgress[], stageId: string): PipelineStatus | undefined {
  return events.filter((e) => e.stageId === stageId).at(-1)?.status;
}

describe("the Kubernetes executor when things go wrong", { skip: skipUnlessCluster }, () => {
  it("finishes a pipeline with the right result when kube-apiserver restarts in the middle", async () => {
    await using t = await startClusterServer("otto-restart");
    const { ottoscaler, logs } = t.clients("grpc");
    const events: PipelineProgress[] = [];
    let restarted: Promise<unknown> | undefined;
    for await (const event of ottoscaler.executePipeline({
      pipelineId: "through-restart",
      stages: [
        { id: "long", command: ["echo long-start; sleep 12; echo long-end"] },
        { id: "after-long", command: ["echo after"], dependsOn: ["long"] },
        { id: "broken", command: ["sleep 6; exit 3"] },
        { id: "after-broken", command: ["echo never"], dependsOn: ["broken"] },
      ],
    })) {
      events.push(event);
      if (
        restarted === undefined &&
        event.stageId === "long" &&
        event.status === PipelineStatus.RUNNING
      ) {
        // Cut every watch and log stream the controller has, mid-run.
        restarted = run("bash", [path.join(root, "hack/cluster-apiserver.sh"), "restart"]);
      }
    }
    await restarted;
    assert.equal(stageStatus(events, "long"), PipelineStatus.SUCCEEDED);
    assert.equal(stageStatus(events, "after-long"), PipelineStatus.SUCCEEDED);
    const broken = events.filter((e) => e.stageId === "broken").at(-1);
    assert.equal(broken?.status, PipelineStatus.FAILED);
    assert.match(broken?.message ?? "", /exit code 3/);
    assert.equal(stageStatus(events, "after-broken"), PipelineStatus.SKIPPED);
    assert.equal(events.at(-1)?.status, PipelineStatus.FAILED);
    const lines = await collect(
      logs.streamBuildLogs({ pipelineId: "through-restart", stageId: "long" }),
    );
    assert.deepEqual(
      lines.map((l) => l.entry?.line),
      ["long-start", "long-end"],
    );
  });

  it("deletes the Jobs an earlier controller process left behind that no run claims, and only those it labelled", async () => {
    const namespace = await createTestNamespace("otto-orphans");
    try {
      const clients = createClients(loadKubeConfig());
      const options = clusterExecutorOptions(namespace);
      const podSettings = {
        defaults: options.defaults,
        imagePullPolicy: options.imagePullPolicy,
        runAsUser: options.runAsUser,
        terminationGraceSeconds: 1,
      };
      const leftover = createJobSpec(
        {
          workerId: "old-pipeline.build.a1.w0",
          index: 0,
          count: 1,
          image: testImage(),
          command: ["sleep 300"],
          env: {},
          resources: defaultResources,
          pipelineId: "old-pipeline",
          stageId: "build",
          attempt: 1,
        },
        {
          ...podSettings,
          namespace,
          controllerInstance: "an-earlier-process",
        },
      );
      await clients.batch.createNamespacedJob({ namespace, body: leftover });
      await kubectl(
        "create",
        "job",
        "not-ours",
        `--image=${testImage()}`,
        "-n",
        namespace,
        "--",
        "sleep",
        "300",
      );
      const executor = new KubernetesExecutor(clients, options, silentLogger);
      await executor.start();
      // No run of this controller claims the old pipeline's Job.
      await executor.deleteUnclaimedJobs(() => false);
      await executor.close();
      const jobs = (await kubectl("get", "jobs", "-n", namespace, "-o", "name")).trim().split("\n");
      assert.deepEqual(
        jobs,
        ["job.batch/not-ours"],
        "only the job Ottoscaler did not label is left",
      );
    } finally {
      await deleteNamespace(namespace);
    }
  });

  it("leaves a running worker's Job alone at shutdown, says so, and a next controller that has no run to claim it deletes it", async () => {
    const namespace = await createTestNamespace("otto-leave");
    try {
      const clients = createClients(loadKubeConfig());
      const options = clusterExecutorOptions(namespace);
      const first = capturedLogger();
      const executor = new KubernetesExecutor(clients, options, first.logger);
      await executor.start();
      const t = await startTestServer(
        { ...clusterTestEnv, OTTOSCALER_DEFAULT_IMAGE: testImage() },
        { executor },
      );
      const events: PipelineProgress[] = [];
      let shutdown: PromiseLike<void> | undefined;
      for await (const event of t.clients("grpc").ottoscaler.executePipeline({
        pipelineId: "left-running",
        stages: [{ id: "sleeper", command: ["echo started; sleep 300"] }],
      })) {
        events.push(event);
        if (shutdown === undefined && event.status === PipelineStatus.RUNNING && event.stageId) {
          shutdown = t[Symbol.asyncDispose]();
        }
      }
      await shutdown;
      // The stream ended with the pipeline's end, as at every shutdown.
      assert.equal(events.at(-1)?.status, PipelineStatus.CANCELLED);
      const [left] = first.events("workersLeftRunning");
      assert.deepEqual(left?.jobs, [kubernetesNameOf("left-running.sleeper.a1.w0")]);
      assert.equal(left?.namespace, namespace);
      // Still there, its pod still running, after the controller has gone.
      const phase = await kubectl(
        "get",
        "pods",
        "-n",
        namespace,
        "-l",
        `job-name=${kubernetesNameOf("left-running.sleeper.a1.w0")}`,
        "-o",
        "jsonpath={.items[*].status.phase}",
      );
      assert.equal(phase, "Running");

      const next = capturedLogger();
      const successor = new KubernetesExecutor(clients, options, next.logger);
      await successor.start();
      await successor.deleteUnclaimedJobs(() => false);
      await successor.close();
      assert.deepEqual(
        next.events("orphanJobDeleted").map((e) => e.job),
        [kubernetesNameOf("left-running.sleeper.a1.w0")],
      );
      assert.equal((await kubectl("get", "jobs", "-n", namespace, "-o", "name")).trim(), "");
    } finally {
      await deleteNamespace(namespace);
    }
  });
});

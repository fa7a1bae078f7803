import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { type PipelineProgress, PipelineStatus } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { createClients, loadKubeConfig } from "../../k8s/client.ts";
import { silentLogger } from "../../observability/logger.ts";
import {
  clusterExecutorOptions,
  createTestNamespace,
  deleteNamespace,
  kubectl,
  skipUnlessCluster,
  startClusterServer,
  testImage,
} from "../../testing/cluster.ts";
import { collect } from "../../testing/test-server.ts";
import { defaultResources } from "../executor.ts";
import { createJobSpec } from "./job-spec.ts";
import { KubernetesExecutor } from "./kubernetes-executor.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../../..");

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

  it("deletes, at start-up, the Jobs an earlier controller process left behind", async () => {
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
});

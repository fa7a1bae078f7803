import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { PipelineStatus } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { WorkerPhase } from "../../../gen/ottoscaler/v1/worker_pb.js";
import {
  clusterTestEnv,
  createTestNamespace,
  deleteNamespace,
  kubectl,
  skipUnlessCluster,
  testImage,
} from "../../testing/cluster.ts";
import { type ControllerProcess, startController } from "../../testing/controller-process.ts";
import { tempDataDir } from "../../testing/data-dir.ts";
import { collect } from "../../testing/test-server.ts";

const run = promisify(execFile);
const apiserver = path.resolve(import.meta.dirname, "../../../hack/cluster-apiserver.sh");
/** How long kube-apiserver stays away. */
const outageMs = 45_000;
const lines = 150;

describe("kube-apiserver away for 45 s", { skip: skipUnlessCluster }, () => {
  let namespace = "";
  let controller: ControllerProcess;

  before(async () => {
    namespace = await createTestNamespace("outage");
    controller = await startController({
      ...clusterTestEnv,
      OTTOSCALER_EXECUTOR: "kubernetes",
      OTTOSCALER_NAMESPACE: namespace,
      OTTOSCALER_DATA_DIR: tempDataDir(),
      OTTOSCALER_DEFAULT_IMAGE: testImage(),
    });
  });

  after(async () => {
    await controller?.stop();
    await deleteNamespace(namespace);
  });

  /** Resolves once the group's `count` workers are RUNNING, as the API's watch reports it. */
  async function running(taskId: string, count: number): Promise<void> {
    const phases = new Map<string, WorkerPhase>();
    for await (const event of controller.ottoscaler.watchWorkers({ taskId })) {
      if (event.worker !== undefined) phases.set(event.worker.workerId, event.worker.phase);
      const up = [...phases.values()].filter((p) => p === WorkerPhase.RUNNING).length;
      if (up === count) return;
    }
  }

  async function timedScaleDown(taskId: string, count: number): Promise<number> {
    const t0 = performance.now();
    const result = await controller.ottoscaler.scaleDown({ taskId, workerCount: count });
    assert.equal(result.changedWorkerIds.length, count);
    return performance.now() - t0;
  }

  /** A plain pod (not ours) deleted with kubectl, waiting until it is gone: the cluster's own time. */
  async function timedKubectlDelete(name: string): Promise<number> {
    const t0 = performance.now();
    await kubectl("delete", "pod", name, "-n", namespace, "--grace-period=1", "--wait=true");
    return performance.now() - t0;
  }

  async function plainPod(name: string): Promise<void> {
    await kubectl(
      "run",
      name,
      "-n",
      namespace,
      `--image=${testImage()}`,
      "--image-pull-policy=IfNotPresent",
      "--restart=Never",
      "--",
      "sleep",
      "600",
    );
    await kubectl("wait", "--for=condition=Ready", `pod/${name}`, "-n", namespace, "--timeout=60s");
  }

  it("a running stage keeps every line and SUCCEEDS; a worker group scaled down right after answers, and the figures say how that compares with no outage and with kubectl", async (t) => {
    // Without an outage first: the same ScaleDown, and the same deletion by kubectl.
    await controller.ottoscaler.scaleUp({ taskId: "calm", workerCount: 2, command: ["sleep 600"] });
    await running("calm", 2);
    await plainPod("calm-pod");
    const calmScaleDown = await timedScaleDown("calm", 2);
    const calmKubectl = await timedKubectlDelete("calm-pod");

    await controller.ottoscaler.scaleUp({
      taskId: "group",
      workerCount: 2,
      command: ["sleep 600"],
    });
    await running("group", 2);
    await plainPod("outage-pod");
    // One stream from start to end: it says when the stage runs, and it lives through the outage.
    let stageRunning!: () => void;
    const printing = new Promise<void>((resolve) => {
      stageRunning = resolve;
    });
    const progress = (async () => {
      const events = [];
      for await (const event of controller.ottoscaler.executePipeline({
        pipelineId: "through-outage",
        stages: [
          {
            id: "printer",
            command: [`for i in $(seq 1 ${lines}); do echo "line $i"; sleep 0.5; done`],
          },
        ],
      })) {
        events.push(event);
        if (event.stageId === "printer" && event.status === PipelineStatus.RUNNING) stageRunning();
      }
      return events;
    })();
    await printing;

    await run("bash", [apiserver, "stop"]);
    // The outage itself is the scenario: 45 s of no API server.
    await new Promise((r) => setTimeout(r, outageMs));
    await run("bash", [apiserver, "start"]);
    const [afterScaleDown, afterKubectl] = await Promise.all([
      timedScaleDown("group", 2),
      timedKubectlDelete("outage-pod"),
    ]);

    const events = await progress;
    assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED, events.at(-1)?.message);
    const entries = await collect(
      controller.logStreaming.streamBuildLogs({ pipelineId: "through-outage" }),
    );
    assert.deepEqual(
      entries.map((e) => e.entry?.line),
      Array.from({ length: lines }, (_, i) => `line ${i + 1}`),
    );
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    t.diagnostic(
      `ScaleDown of 2: ${s(calmScaleDown)} without an outage, ${s(afterScaleDown)} right after it (${(afterScaleDown / calmScaleDown).toFixed(2)}×); kubectl delete pod --wait: ${s(calmKubectl)} and ${s(afterKubectl)} (${(afterKubectl / calmKubectl).toFixed(2)}×)`,
    );
  });
});

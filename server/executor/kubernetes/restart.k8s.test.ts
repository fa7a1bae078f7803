import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type PipelineProgress, PipelineStatus } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { kubernetesNameOf } from "../../domain/worker-id.ts";
import { jobEvents, readAuditEvents } from "../../testing/audit-log.ts";
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
import { PodWatch } from "../../testing/pod-watch.ts";
import { counting, jobsOf, linesOf, numbered, pipeline } from "../../testing/restart-pipelines.ts";
import { collect } from "../../testing/test-server.ts";

describe("a controller killed with SIGKILL", { skip: skipUnlessCluster }, () => {
  let namespace = "";
  let dataDir = "";
  let pods: PodWatch;
  let env: Record<string, string>;

  before(async () => {
    namespace = await createTestNamespace("restart");
    dataDir = tempDataDir();
    pods = await PodWatch.start(namespace);
    env = {
      ...clusterTestEnv,
      OTTOSCALER_EXECUTOR: "kubernetes",
      OTTOSCALER_NAMESPACE: namespace,
      OTTOSCALER_DATA_DIR: dataDir,
      OTTOSCALER_DEFAULT_IMAGE: testImage(),
      OTTOSCALER_FAULT_INJECTION: "true",
    };
  });

  after(async () => {
    await pods?.[Symbol.asyncDispose]();
    // Nothing holds the namespace: the runs ended, so their finalizers are gone.
    await deleteNamespace(namespace);
  });

  /** The pod names of these Jobs once every one of them has reached one of `phases`. */
  const podsIn = (jobs: string[], phases: string[]) =>
    pods.changed.until(() =>
      jobs.every((job) =>
        [...pods.owners].some(
          ([pod, owner]) =>
            owner === `Job/${job}` &&
            phases.includes(pods.samples.filter((s) => s.name === pod).at(-1)?.phase ?? ""),
        ),
      ),
    );

  /** Successful creations of Jobs in the test's namespace, by name. */
  async function createsByName(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const e of jobEvents(await readAuditEvents(), "create", namespace)) {
      const name = e.objectRef?.name ?? "";
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return counts;
  }

  it("continues every run: running pods adopted, a stage that ended during the outage recorded with its real exit codes and lines, a Job deleted meanwhile failing its attempt and retried, and no Job created twice", async (t) => {
    const first = await startController(env);
    const starts = [
      pipeline("crash-a", { image: "busybox", workers: 2, command: [counting(20, 0.3)] }),
      pipeline("crash-c", {
        image: "busybox",
        workers: 2,
        // Worker 1 exits 3: the stage fails as it would have without the crash.
        command: [
          'i=0; while [ $i -lt 5 ]; do i=$((i+1)); echo "line $i of $OTTOSCALER_WORKER_INDEX"; done; sleep 3; [ "$OTTOSCALER_WORKER_INDEX" = 0 ] || exit 3',
        ],
      }),
      pipeline("crash-d", {
        image: "busybox",
        command: [counting(10, 0.3)],
        retry: { maxAttempts: 2, initialBackoffMs: 0, maxBackoffMs: 0 },
      }),
    ];
    for (const request of starts) {
      // The stream ends when its controller dies; the pipelines go on without it.
      void collect(first.ottoscaler.executePipeline(request)).catch(() => {});
    }
    const middle = [
      ...jobsOf("crash-a", [["middle", 1, 2]]),
      ...jobsOf("crash-c", [["middle", 1, 2]]),
      ...jobsOf("crash-d", [["middle", 1, 1]]),
    ];
    await podsIn(middle, ["Running"]);
    assert.equal(await first.stop("SIGKILL"), "SIGKILL");

    // While no controller runs: crash-c's workers end, and crash-d's Job is deleted by hand.
    const deleted = kubernetesNameOf("crash-d.middle.a1.w0");
    await kubectl("delete", "job", deleted, "-n", namespace, "--wait=true");
    await podsIn(jobsOf("crash-c", [["middle", 1, 2]]), ["Succeeded", "Failed"]);

    const second = await startController(env);
    t.after(() => second.stop());
    const outcome = async (pipelineId: string) => {
      const events = await collect(second.ottoscaler.watchPipeline({ pipelineId }));
      const entries = await collect(second.logStreaming.streamBuildLogs({ pipelineId }));
      return { events, entries, final: events.at(-1) as PipelineProgress };
    };
    const [a, c, d] = await Promise.all(["crash-a", "crash-c", "crash-d"].map(outcome));
    assert.ok(a && c && d);

    assert.equal(a.final.status, PipelineStatus.SUCCEEDED, a.final.message);
    assert.deepEqual(
      linesOf(a.entries, "middle"),
      new Map([
        [0, numbered(20, 0)],
        [1, numbered(20, 1)],
      ]),
    );
    for (const run of [a, c, d]) {
      assert.deepEqual(
        run.events.map((e) => Number(e.sequence)),
        run.events.map((_, i) => i + 1),
        "events numbered on without gaps or repeats",
      );
    }

    assert.equal(c.final.status, PipelineStatus.FAILED, c.final.message);
    assert.deepEqual(
      linesOf(c.entries, "middle"),
      new Map([
        [0, numbered(5, 0)],
        [1, numbered(5, 1)],
      ]),
    );
    const { workers } = await second.ottoscaler.getWorkerStatus({ pipelineId: "crash-c" });
    const middleExits = workers
      .filter((w) => w.stageId === "middle")
      .sort((x, y) => x.index - y.index)
      .map((w) => w.exitCode);
    assert.deepEqual(middleExits, [0, 3]);

    assert.equal(d.final.status, PipelineStatus.SUCCEEDED, d.final.message);
    const retrying = d.events.find(
      (e) => e.stageId === "middle" && e.status === PipelineStatus.RETRYING,
    );
    assert.match(retrying?.message ?? "", /was deleted while no controller was running/);
    assert.deepEqual(linesOf(d.entries, "middle", 2), new Map([[0, numbered(10, 0)]]));

    const creates = await createsByName();
    const expected = [
      ...jobsOf("crash-a", [
        ["first", 1, 1],
        ["middle", 1, 2],
        ["last", 1, 1],
      ]),
      ...jobsOf("crash-c", [
        ["first", 1, 1],
        ["middle", 1, 2],
      ]),
      ...jobsOf("crash-d", [
        ["first", 1, 1],
        ["middle", 1, 1],
        ["middle", 2, 1],
        ["last", 1, 1],
      ]),
    ];
    for (const job of expected) assert.equal(creates.get(job), 1, `creates of ${job}`);
    await second.stop();
  });

  it("killed right after creating a Job and before recording it: the next controller adopts that Job, creates the rest once, and the run SUCCEEDS", async (t) => {
    const controller: ControllerProcess = await startController(env);
    // Armed for the first Job of crash-b's middle stage: the controller dies right after making it.
    await mkdir(path.join(dataDir, "faults"), { recursive: true });
    await writeFile(path.join(dataDir, "faults", "after-job-create"), "crash-b-middle");
    const died = once(controller.child, "exit");
    void collect(
      controller.ottoscaler.executePipeline(
        pipeline("crash-b", { image: "busybox", workers: 2, command: [counting(10, 0.2)] }),
      ),
    ).catch(() => {});
    const [, signal] = await died;
    assert.equal(signal, "SIGKILL");

    const next = await startController(env);
    t.after(() => next.stop());
    const events = await collect(next.ottoscaler.watchPipeline({ pipelineId: "crash-b" }));
    assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED, events.at(-1)?.message);
    const entries = await collect(next.logStreaming.streamBuildLogs({ pipelineId: "crash-b" }));
    assert.deepEqual(
      linesOf(entries, "middle"),
      new Map([
        [0, numbered(10, 0)],
        [1, numbered(10, 1)],
      ]),
    );
    const adopted = next.logs.filter((l) => l.event === "jobAdopted").map((l) => l.job);
    assert.ok(adopted.length >= 1, "the Job made before the crash was adopted");
    const creates = await createsByName();
    for (const job of jobsOf("crash-b", [
      ["first", 1, 1],
      ["middle", 1, 2],
      ["last", 1, 1],
    ])) {
      assert.equal(creates.get(job), 1, `creates of ${job}`);
    }
  });
});

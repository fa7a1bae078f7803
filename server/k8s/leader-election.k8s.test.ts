import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { type PipelineProgress, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { jobEvents, readAuditEvents } from "../testing/audit-log.ts";
import {
  clusterTestEnv,
  createTestNamespace,
  deleteNamespace,
  kubectl,
  skipUnlessCluster,
  testImage,
} from "../testing/cluster.ts";
import { startController } from "../testing/controller-process.ts";
import { tempDataDir } from "../testing/data-dir.ts";
import { PodWatch } from "../testing/pod-watch.ts";
import { counting, jobsOf, linesOf, numbered, pipeline } from "../testing/restart-pipelines.ts";
import { collect } from "../testing/test-server.ts";

interface LeaseSpec {
  holderIdentity?: string;
  leaseTransitions?: number;
  renewTime?: string;
}

describe("leader election between two controllers", { skip: skipUnlessCluster }, () => {
  let namespace = "";
  let env: Record<string, string>;
  let pods: PodWatch;

  before(async () => {
    namespace = await createTestNamespace("lease");
    pods = await PodWatch.start(namespace);
    env = {
      ...clusterTestEnv,
      OTTOSCALER_EXECUTOR: "kubernetes",
      OTTOSCALER_NAMESPACE: namespace,
      // One data directory, as two replicas of the Deployment share the claim.
      OTTOSCALER_DATA_DIR: tempDataDir(),
      OTTOSCALER_DEFAULT_IMAGE: testImage(),
      OTTOSCALER_LEADER_ELECTION: "true",
      // Short, so the test waits seconds: the same rules as the defaults (15/10/2).
      OTTOSCALER_LEASE_DURATION_SECONDS: "4",
      OTTOSCALER_LEASE_RENEW_DEADLINE_SECONDS: "3",
      OTTOSCALER_LEASE_RETRY_PERIOD_SECONDS: "1",
    };
  });

  after(async () => {
    await pods?.[Symbol.asyncDispose]();
    await deleteNamespace(namespace);
  });

  const lease = async (): Promise<LeaseSpec> =>
    (
      JSON.parse(
        await kubectl("get", "lease", "ottoscaler-controller", "-n", namespace, "-o", "json"),
      ) as { spec: LeaseSpec }
    ).spec;

  it("lets only the lease holder act: the standby refuses calls and is not ready; the holder paused past its lease is replaced, stops at once when it wakes, and the run completes with every Job created once and every line once", async (t) => {
    const a = await startController({ ...env, POD_NAME: "controller-a" });
    t.after(() => a.stop("SIGKILL"));
    assert.equal((await lease()).holderIdentity, "controller-a");

    const b = await startController({ ...env, POD_NAME: "controller-b" }, { until: "listening" });
    t.after(() => b.stop());
    await b.waitForLog("leaseWaiting", (l) => l.holder === "controller-a");
    assert.equal((await fetch(`${b.url}/readyz`)).status, 503, "a standby is not ready");
    await assert.rejects(
      b.ottoscaler.getWorkerStatus({}),
      (e) => ConnectError.from(e).code === Code.Unavailable && /standby/.test(String(e)),
    );
    assert.ok(
      !b.logs.some((l) => l.event === "storeLoaded"),
      "a standby leaves the data directory alone",
    );

    void collect(
      a.ottoscaler.executePipeline(
        pipeline("lease-run", { image: "busybox", workers: 2, command: [counting(30, 0.3)] }),
      ),
    ).catch(() => {});
    const middle = jobsOf("lease-run", [["middle", 1, 2]]);
    await pods.changed.until(() =>
      middle.every((job) =>
        [...pods.owners].some(
          ([pod, owner]) =>
            owner === `Job/${job}` &&
            pods.samples.filter((s) => s.name === pod).at(-1)?.phase === "Running",
        ),
      ),
    );

    // Paused past its lease, as a stalled node or a debugger would: it cannot renew.
    process.kill(a.pid, "SIGSTOP");
    const stoppedAt = performance.now();
    await b.waitForLog("leaseAcquired");
    const takeoverMs = performance.now() - stoppedAt;
    await b.waitForLog("serverReady");
    assert.equal((await lease()).holderIdentity, "controller-b");

    // Awake again, it finds its renew deadline long gone and exits before acting.
    const aExit = once(a.child, "exit");
    process.kill(a.pid, "SIGCONT");
    const [code] = await aExit;
    assert.equal(code, 1);
    assert.ok(a.logs.some((l) => l.event === "leaseLost"));

    const events = await collect(b.ottoscaler.watchPipeline({ pipelineId: "lease-run" }));
    const final = events.at(-1) as PipelineProgress;
    assert.equal(final.status, PipelineStatus.SUCCEEDED, final.message);
    const entries = await collect(b.logStreaming.streamBuildLogs({ pipelineId: "lease-run" }));
    assert.deepEqual(
      linesOf(entries, "middle"),
      new Map([
        [0, numbered(30, 0)],
        [1, numbered(30, 1)],
      ]),
    );
    const creates = new Map<string, number>();
    for (const e of jobEvents(await readAuditEvents(), "create", namespace)) {
      const name = e.objectRef?.name ?? "";
      creates.set(name, (creates.get(name) ?? 0) + 1);
    }
    const all = jobsOf("lease-run", [
      ["first", 1, 1],
      ["middle", 1, 2],
      ["last", 1, 1],
    ]);
    assert.deepEqual(
      [...creates].sort(),
      all.map((name) => [name, 1]).sort(),
      "each Job created exactly once",
    );
    assert.equal((await lease()).leaseTransitions, 1);

    // Stepping down on SIGTERM releases the lease: the next controller need not wait it out.
    assert.equal(await b.stop("SIGTERM"), 0);
    assert.equal((await lease()).holderIdentity ?? "", "");
    t.diagnostic(`takeover after the holder stopped: ${(takeoverMs / 1000).toFixed(1)} s`);
  });
});

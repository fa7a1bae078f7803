import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ForwardingState } from "../../../gen/ottoscaler/v1/log_streaming_pb.js";
import { PipelineStatus } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { startHandler } from "../../dev/otto-handler/handler-process.ts";
import { skipUnlessCluster, startClusterServer } from "../../testing/cluster.ts";
import { caughtUp, forwardingWhen } from "../../testing/forwarding-status.ts";
import {
  assertStatusesComplete,
  assertWorkerLogsComplete,
  readDelivered,
} from "../../testing/handler-output.ts";
import { collect } from "../../testing/test-server.ts";

const workers = 20;
const linesPerWorker = 10_000;

/**
 * `lines` numbered lines in `chunks` bursts a second apart (awk: the busybox image has no seq -f),
 * and a second more before exiting: containerd 1.6 here sometimes drops the end of the output of
 * a container that exits right after writing it (see kubernetes-executor.k8s.test.ts).
 */
function emitCommand(lines: number, chunks: number): string {
  const per = lines / chunks;
  return (
    `awk -v w="$OTTOSCALER_WORKER_INDEX" 'BEGIN { for (c = 0; c < ${chunks}; c++) { ` +
    `for (i = c * ${per} + 1; i <= (c + 1) * ${per}; i++) print "worker " w " line " i; ` +
    `fflush(); system("sleep 1") } }'`
  );
}

describe("forwarding to Otto-handler from Kubernetes workers", { skip: skipUnlessCluster }, () => {
  it("delivers 20 pods x 10,000 lines once each and in order, through a 10-second Otto-handler outage, and serves them after a restart", async (t) => {
    const out = path.join(
      await mkdtemp(path.join(os.tmpdir(), "ottoscaler-handler-")),
      "out.jsonl",
    );
    let handler = await startHandler(["--out", out, "--log-level", "debug"]);
    const port = handler.port;
    t.after(() => handler.stop("SIGKILL"));
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-data-"));
    const env = {
      OTTOSCALER_DATA_DIR: dataDir,
      OTTO_HANDLER_URL: `http://127.0.0.1:${port}`,
      OTTO_HANDLER_MAX_BACKOFF_MS: "1000",
      OTTOSCALER_MAX_WORKERS: String(workers),
    };
    const expected = new Map(
      Array.from({ length: workers }, (_, w) => [
        `pods.emit.a1.w${w}`,
        { count: linesPerWorker, lineOf: (s: number) => `worker ${w} line ${s}` },
      ]),
    );
    {
      await using server = await startClusterServer("forward", env);
      const { ottoscaler, logs } = server.clients("grpc");
      const run = collect(
        ottoscaler.executePipeline({
          pipelineId: "pods",
          stages: [{ id: "emit", workers, command: [emitCommand(linesPerWorker, 20)] }],
        }),
      );
      await handler.waitForLog("callAnswered");
      await handler.stop("SIGKILL");
      // The outage: a fixed 10 s, as the scenario asks, while the pods go on printing.
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const during = (await logs.getLogForwardingStatus({})).destinations[0];
      assert.equal(during?.state, ForwardingState.BACKING_OFF);
      assert.ok((during?.lagEntries ?? 0n) > 0n, "entries wait on disk");
      assert.notEqual(during?.lastError, "");
      handler = await startHandler(["--out", out, "--port", String(port)]);
      const events = await run;
      assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED);
      await forwardingWhen(logs, caughtUp(workers * linesPerWorker + events.length), 120_000);
      const delivered = await readDelivered(out);
      assertWorkerLogsComplete(delivered, expected);
      assert.equal(assertStatusesComplete(delivered, "pods").length, events.length);
    }
    // A new controller on the same data directory: the pods and Jobs are gone, the build is not.
    await using again = await startClusterServer("forward-again", env);
    const build = await collect(
      again.clients("connect").logs.streamBuildLogs({ pipelineId: "pods" }),
    );
    assert.equal(build.length, workers * linesPerWorker);
  });
});

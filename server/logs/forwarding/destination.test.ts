import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, stat, utimes } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { PipelineStatus } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { startHandler } from "../../dev/otto-handler/handler-process.ts";
import { type ControllerProcess, startController } from "../../testing/controller-process.ts";
import { caughtUp, forwardingWhen } from "../../testing/forwarding-status.ts";
import { assertWorkerLogsComplete, readDelivered } from "../../testing/handler-output.ts";
import { collect, startTestServer } from "../../testing/test-server.ts";
import { testTls } from "../../testing/tls.ts";

const lines = 3000;

async function runPipeline(controller: ControllerProcess, pipelineId: string) {
  const events = await collect(
    controller.ottoscaler.executePipeline({
      pipelineId,
      stages: [{ id: "emit", workers: 2, command: [`seq -f "line %.0f" 1 ${lines}`] }],
    }),
  );
  assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED);
  return events;
}

const expected = (pipelineId: string) =>
  new Map(
    [0, 1].map((w) => [
      `${pipelineId}.emit.a1.w${w}`,
      { count: lines, lineOf: (s: number) => `line ${s}` },
    ]),
  );

describe("the Otto-handler destination", { concurrency: 1 }, () => {
  it("sends over TLS trusting a given CA, with a bearer token; a wrong token is retried, not skipped", async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-tls-"));
    const { cert, key } = testTls;
    const out = path.join(dir, "out.jsonl");
    const tls = ["--tls-cert", cert, "--tls-key", key, "--token", "s3cret"];
    await using handler = await startHandler(["--out", out, ...tls]);
    const env = {
      OTTOSCALER_DATA_DIR: path.join(dir, "data"),
      OTTO_HANDLER_URL: `https://127.0.0.1:${handler.port}`,
      OTTO_HANDLER_CA_FILE: cert,
      OTTO_HANDLER_MAX_BACKOFF_MS: "500",
    };
    const wrong = await startController({ ...env, OTTO_HANDLER_TOKEN: "wrong" });
    t.after(() => wrong.stop("SIGKILL"));
    await runPipeline(wrong, "tls");
    const refused = await forwardingWhen(wrong.logStreaming, (s) => s.failedAttempts >= 2n, 60_000);
    assert.match(refused.lastError, /^Unauthenticated/);
    assert.equal(refused.rejectedEntries, 0n, "an auth failure is not a reason to skip data");
    assert.ok(refused.lagEntries > 0n);
    await wrong.stop("SIGTERM");
    // The right token: everything the first controller recorded goes through, from the cursor.
    const right = await startController({ ...env, OTTO_HANDLER_TOKEN: "s3cret" });
    t.after(() => right.stop("SIGKILL"));
    await forwardingWhen(right.logStreaming, caughtUp(), 60_000);
    assertWorkerLogsComplete(await readDelivered(out), expected("tls"));
  });

  it("logs, counts and skips a batch Otto-handler rejects as invalid, and delivers the rest", async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-reject-"));
    const out = path.join(dir, "out.jsonl");
    await using handler = await startHandler(["--out", out, "--reject-line", "^line 1500$"]);
    const controller = await startController({
      OTTOSCALER_DATA_DIR: path.join(dir, "data"),
      OTTO_HANDLER_URL: `http://127.0.0.1:${handler.port}`,
      OTTO_HANDLER_BATCH_ENTRIES: "100",
    });
    t.after(() => controller.stop("SIGKILL"));
    const events = await runPipeline(controller, "reject");
    const status = await forwardingWhen(
      controller.logStreaming,
      (s) => s.lagEntries === 0n,
      60_000,
    );
    // Both workers print "line 1500": one or two batches of 100 are rejected.
    assert.ok(status.rejectedBatches >= 1n && status.rejectedBatches <= 2n);
    assert.equal(status.rejectedEntries, status.rejectedBatches * 100n);
    assert.ok(controller.logs.some((l) => l.event === "forwardingRejected" && l.level === 50));
    const delivered = await readDelivered(out);
    const arrived = [...delivered.logs.values()].reduce((n, list) => n + list.length, 0);
    const statuses = delivered.statuses.get("reject")?.length ?? 0;
    assert.equal(
      BigInt(arrived + statuses) + status.rejectedEntries,
      BigInt(2 * lines + events.length),
      "everything not in a rejected batch arrived",
    );
    for (const list of delivered.logs.values()) {
      assert.ok(!list.some((e) => e.line === "line 1500"), "the rejected line is not there");
    }
  });

  it("completes delivery through partial acknowledgements and UNAVAILABLE answers", async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-partial-"));
    const out = path.join(dir, "out.jsonl");
    const faults = ["--max-store", "37", "--fail-every", "3"];
    await using handler = await startHandler(["--out", out, ...faults]);
    const controller = await startController({
      OTTOSCALER_DATA_DIR: path.join(dir, "data"),
      OTTO_HANDLER_URL: `http://127.0.0.1:${handler.port}`,
      OTTO_HANDLER_MAX_BACKOFF_MS: "200",
    });
    t.after(() => controller.stop("SIGKILL"));
    await runPipeline(controller, "partial");
    const status = await forwardingWhen(
      controller.logStreaming,
      (s) => s.lagEntries === 0n,
      60_000,
    );
    assert.ok(status.failedAttempts > 0n, "UNAVAILABLE answers were retried");
    assert.match(status.lastError, /^Unavailable/);
    assertWorkerLogsComplete(await readDelivered(out), expected("partial"));
    // The same, as people see it.
    const { stdout } = await promisify(execFile)(process.execPath, [
      path.resolve(import.meta.dirname, "../../../bin/ottoctl.js"),
      ...["--server", controller.url, "forwarding"],
    ]);
    assert.match(stdout, new RegExp(`http://127\\.0\\.0\\.1:${handler.port}\\s+CAUGHT-UP`));
    assert.match(stdout, /last error: Unavailable/);
  });

  it("retention keeps a build past its age until Otto-handler has all of it; over the size limit it goes anyway, counted", async () => {
    const port = await unusedPort();
    const out = path.join(await mkdtemp(path.join(os.tmpdir(), "ottoscaler-kept-")), "out.jsonl");
    const forwardTo = {
      OTTO_HANDLER_URL: `http://127.0.0.1:${port}`,
      OTTO_HANDLER_MAX_BACKOFF_MS: "200",
    };
    const lineCount = 100;
    const pipeline = (pipelineId: string) => ({
      pipelineId,
      stages: [{ id: "emit", workers: 1, command: [`seq -f "line %.0f" 1 ${lineCount}`] }],
    });
    {
      await using server = await startTestServer({
        ...forwardTo,
        OTTOSCALER_LOG_RETENTION_HOURS: "1",
      });
      const { ottoscaler, logs } = server.clients("connect");
      const events = await collect(ottoscaler.executePipeline(pipeline("waiting")));
      const journal = path.join(server.app.config.dataDir, "builds/pipeline/waiting/journal");
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
      await utimes(journal, twoHoursAgo, twoHoursAgo);
      await server.app.applyRetention();
      // Otto-handler is not there: past its age, the build is kept for it.
      assert.equal((await collect(logs.streamBuildLogs({ pipelineId: "waiting" }))).length, 100);
      await using handler = await startHandler(["--out", out, "--port", String(port)]);
      await forwardingWhen(logs, caughtUp(lineCount + events.length), 60_000);
      await server.app.applyRetention();
      await assert.rejects(stat(journal), { code: "ENOENT" });
      assertWorkerLogsComplete(
        await readDelivered(out),
        new Map([["waiting.emit.a1.w0", { count: lineCount, lineOf: (n) => `line ${n}` }]]),
      );
      await handler.stop();
    }
    // Otto-handler down and the store over its size limit: the disk wins, and it shows.
    await using server = await startTestServer({
      ...forwardTo,
      OTTOSCALER_LOG_RETENTION_BYTES: "1",
    });
    const { ottoscaler, logs } = server.clients("connect");
    const events = await collect(ottoscaler.executePipeline(pipeline("overflow")));
    const before = (await logs.getLogForwardingStatus({})).destinations[0];
    assert.equal(before?.lagEntries, BigInt(lineCount + events.length));
    await server.app.applyRetention();
    const after = (await logs.getLogForwardingStatus({})).destinations[0];
    assert.equal(after?.removedUndeliveredEntries, BigInt(lineCount + events.length));
    assert.equal(after?.lagEntries, 0n);
    const { stdout } = await promisify(execFile)(process.execPath, [
      path.resolve(import.meta.dirname, "../../../bin/ottoctl.js"),
      ...["--server", server.url, "forwarding"],
    ]);
    assert.match(
      stdout,
      new RegExp(`${lineCount + events.length} entries were removed by retention`),
    );
  });
});

/** A port nothing listens on (yet). */
async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

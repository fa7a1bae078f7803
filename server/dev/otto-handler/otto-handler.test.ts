import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { EntrySchema } from "../../../gen/otto/handler/v1/handler_pb.js";
import { LogStream } from "../../../gen/ottoscaler/v1/log_streaming_pb.js";
import { PipelineStatus } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { WorkerPhase } from "../../../gen/ottoscaler/v1/worker_pb.js";
import { testTls } from "../../testing/tls.ts";
import { startHandler } from "./handler-process.ts";

type EntryInit = MessageInitShape<typeof EntrySchema>;

const log = (workerId: string, sequence: number, line = `line ${sequence}`): EntryInit => ({
  kind: {
    case: "log",
    value: { workerId, sequence: BigInt(sequence), line, stream: LogStream.STDOUT },
  },
});

const status = (pipelineId: string, sequence: number): EntryInit => ({
  kind: {
    case: "status",
    value: {
      pipelineId,
      sequence: BigInt(sequence),
      progress: { pipelineId, sequence: BigInt(sequence), status: PipelineStatus.RUNNING },
    },
  },
});

const worker = (taskId: string, sequence: number, workerId = `${taskId}.w0`): EntryInit => ({
  kind: {
    case: "worker",
    value: {
      taskId,
      sequence: BigInt(sequence),
      worker: { workerId, taskId, phase: WorkerPhase.RUNNING },
    },
  },
});

async function tempFile(): Promise<string> {
  return path.join(await mkdtemp(path.join(os.tmpdir(), "otto-handler-")), "out.jsonl");
}

async function readLines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const keyIds = { log: "workerId", status: "pipelineId", worker: "taskId" } as const;
const keys = (lines: Record<string, unknown>[]) =>
  lines.map((l) => `${l.kind}:${l[keyIds[l.kind as keyof typeof keyIds]]}:${l.sequence}`);

async function rejection(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  assert.fail("the call succeeded");
}

describe("otto-handler-dev", () => {
  it("stores new log lines, status events and worker events, one JSON line each, before acknowledging", async () => {
    const out = await tempFile();
    await using handler = await startHandler(["--out", out]);
    const response = await handler.client().ingestEntries({
      source: "ns-a",
      entries: [
        {
          kind: {
            case: "log",
            value: {
              workerId: "w1",
              sequence: 1n,
              line: "hello",
              stream: LogStream.STDERR,
              timestamp: { seconds: 1_700_000_000n, nanos: 123_000_000 },
              pipelineId: "p1",
              stageId: "build",
              attempt: 2,
              taskId: "t1",
            },
          },
        },
        {
          kind: {
            case: "status",
            value: {
              pipelineId: "p1",
              sequence: 1n,
              progress: {
                pipelineId: "p1",
                stageId: "build",
                status: PipelineStatus.SUCCEEDED,
                attempt: 2,
                message: "done",
                sequence: 1n,
                workerIds: ["w1"],
              },
            },
          },
        },
        {
          kind: {
            case: "worker",
            value: {
              taskId: "t1",
              sequence: 1n,
              timestamp: { seconds: 1_700_000_000n, nanos: 0 },
              worker: {
                workerId: "t1.w0",
                taskId: "t1",
                index: 0,
                phase: WorkerPhase.FAILED,
                reason: "exit code 3",
                exitCode: 3,
              },
            },
          },
        },
      ],
    });
    assert.equal(response.stored, 3);
    assert.equal(response.duplicates, 0);
    const text = await readFile(out, "utf8");
    assert.equal(
      text,
      [
        '{"kind":"log","workerId":"w1","sequence":1,"line":"hello","stream":"LOG_STREAM_STDERR",' +
          '"pipelineId":"p1","stageId":"build","attempt":2,"taskId":"t1",' +
          '"timestamp":"2023-11-14T22:13:20.123Z","source":"ns-a"}',
        '{"kind":"status","pipelineId":"p1","sequence":1,"status":"PIPELINE_STATUS_SUCCEEDED",' +
          '"stageId":"build","message":"done","attempt":2,"timestamp":null,"workerIds":["w1"],' +
          '"source":"ns-a"}',
        '{"kind":"worker","taskId":"t1","sequence":1,"workerId":"t1.w0","index":0,' +
          '"phase":"WORKER_PHASE_FAILED","reason":"exit code 3","exitCode":3,' +
          '"timestamp":"2023-11-14T22:13:20Z","source":"ns-a"}',
        "",
      ].join("\n"),
    );
  });

  it("acknowledges duplicates within a batch and across batches but writes each entry once", async () => {
    const out = await tempFile();
    await using handler = await startHandler(["--out", out]);
    const client = handler.client();
    const first = await client.ingestEntries({
      entries: [
        ...[log("w1", 1), log("w1", 2), log("w1", 1), status("p1", 1), status("p1", 1)],
        ...[worker("t1", 1), worker("t1", 1)],
      ],
    });
    assert.deepEqual([first.stored, first.duplicates], [7, 3]);
    const second = await client.ingestEntries({
      entries: [
        ...[log("w1", 2), log("w1", 3), log("w2", 1), status("p1", 1), status("p1", 2)],
        // The same sequence under another kind or id is another entry.
        ...[worker("t1", 1), worker("t1", 2), worker("p1", 1)],
      ],
    });
    assert.deepEqual([second.stored, second.duplicates], [8, 3]);
    assert.deepEqual(keys(await readLines(out)), [
      "log:w1:1",
      "log:w1:2",
      "status:p1:1",
      "worker:t1:1",
      "log:w1:3",
      "log:w2:1",
      "status:p1:2",
      "worker:t1:2",
      "worker:p1:1",
    ]);
  });

  it("writes an entry once when concurrent calls carry it", async () => {
    const out = await tempFile();
    await using handler = await startHandler(["--out", out]);
    const client = handler.client();
    const batch = { entries: Array.from({ length: 50 }, (_, i) => log("w1", i + 1)) };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => client.ingestEntries(batch)),
    );
    assert.ok(responses.every((r) => r.stored === 50));
    assert.equal(
      responses.reduce((sum, r) => sum + r.duplicates, 0),
      9 * 50,
    );
    assert.equal((await readLines(out)).length, 50);
  });

  it("rebuilds its keys from the file on restart, so resent entries are not written again", async () => {
    const out = await tempFile();
    {
      await using handler = await startHandler(["--out", out]);
      await handler.client().ingestEntries({
        entries: [log("w1", 1), log("w1", 2), log("w1", 4), status("p1", 1), worker("t1", 1)],
      });
      assert.equal(await handler.stop(), 0);
    }
    await using handler = await startHandler(["--out", out]);
    assert.equal((await handler.waitForLog("outFileRead")).lines, 5);
    const response = await handler
      .client()
      .ingestEntries({ entries: [log("w1", 1), log("w1", 2), log("w1", 3), log("w1", 4)] });
    assert.deepEqual([response.stored, response.duplicates], [4, 3]);
    const again = await handler
      .client()
      .ingestEntries({ entries: [status("p1", 1), worker("t1", 1)] });
    assert.deepEqual([again.stored, again.duplicates], [2, 2]);
    assert.deepEqual(keys(await readLines(out)), [
      "log:w1:1",
      "log:w1:2",
      "log:w1:4",
      "status:p1:1",
      "worker:t1:1",
      "log:w1:3",
    ]);
  });

  it("removes an unfinished last line on start with a warning, keeping the lines before it", async () => {
    const out = await tempFile();
    const complete = [
      { kind: "log", workerId: "w1", sequence: 1, line: "a" },
      { kind: "log", workerId: "w1", sequence: 2, line: "b" },
    ];
    await writeFile(
      out,
      `${complete.map((l) => JSON.stringify(l)).join("\n")}\n{"kind":"log","workerId":"w1","seq`,
    );
    await using handler = await startHandler(["--out", out]);
    const warning = await handler.waitForLog("truncatedLineRemoved");
    assert.equal(warning.bytes, '{"kind":"log","workerId":"w1","seq'.length);
    const response = await handler
      .client()
      .ingestEntries({ entries: [log("w1", 2), log("w1", 3)] });
    assert.deepEqual([response.stored, response.duplicates], [2, 1]);
    assert.deepEqual(keys(await readLines(out)), ["log:w1:1", "log:w1:2", "log:w1:3"]);
  });

  it("--max-store N acknowledges only the first N entries of each batch", async () => {
    const out = await tempFile();
    await using handler = await startHandler(["--out", out, "--max-store", "2"]);
    const client = handler.client();
    const first = await client.ingestEntries({
      entries: [log("w1", 1), log("w1", 2), log("w1", 3)],
    });
    assert.deepEqual([first.stored, first.duplicates], [2, 0]);
    const resent = await client.ingestEntries({ entries: [log("w1", 3), log("w1", 4)] });
    assert.deepEqual([resent.stored, resent.duplicates], [2, 0]);
    assert.deepEqual(keys(await readLines(out)), ["log:w1:1", "log:w1:2", "log:w1:3", "log:w1:4"]);
  });

  describe("rejects a batch with INVALID_ARGUMENT naming the entry and field, storing none of it", () => {
    const cases: [string, EntryInit, string][] = [
      ["no kind set", {}, "entries[1].kind"],
      ["a log line without worker_id", log("", 1), "entries[1].log.worker_id"],
      ["a log line with sequence 0", log("w1", 0), "entries[1].log.sequence"],
      ["a status event without pipeline_id", status("", 1), "entries[1].status.pipeline_id"],
      ["a status event with sequence 0", status("p1", 0), "entries[1].status.sequence"],
      ["a worker event without task_id", worker("", 1, "t.w0"), "entries[1].worker.task_id"],
      ["a worker event with sequence 0", worker("t1", 0), "entries[1].worker.sequence"],
      [
        "a worker event without a worker id",
        worker("t1", 1, ""),
        "entries[1].worker.worker.worker_id",
      ],
    ];
    for (const [name, bad, field] of cases) {
      it(name, async () => {
        const out = await tempFile();
        await using handler = await startHandler(["--out", out]);
        const client = handler.client();
        const error = await rejection(
          client.ingestEntries({ entries: [log("w1", 1), bad, log("w1", 2)] }),
        );
        assert.equal(error.code, Code.InvalidArgument);
        assert.ok(error.rawMessage.startsWith(`${field}: `), error.rawMessage);
        const after = await client.ingestEntries({ entries: [log("w1", 1)] });
        assert.equal(after.duplicates, 0, "the valid entries before it were not stored");
      });
    }

    it("a log line matching --reject-line", async () => {
      const out = await tempFile();
      await using handler = await startHandler(["--out", out, "--reject-line", "^poison"]);
      const client = handler.client();
      const error = await rejection(
        client.ingestEntries({ entries: [log("w1", 1), log("w1", 2, "poison pill")] }),
      );
      assert.equal(error.code, Code.InvalidArgument);
      assert.match(error.rawMessage, /^entries\[1\]\.log\.line: /);
      const next = await client.ingestEntries({ entries: [log("w1", 1), log("w1", 2, "fine")] });
      assert.deepEqual([next.stored, next.duplicates], [2, 0]);
      assert.equal((await readLines(out)).length, 2);
    });
  });

  it("--fail-every N answers every Nth call UNAVAILABLE and stores nothing of it", async () => {
    const out = await tempFile();
    await using handler = await startHandler(["--out", out, "--fail-every", "2"]);
    const client = handler.client();
    await client.ingestEntries({ entries: [log("w1", 1)] });
    const error = await rejection(client.ingestEntries({ entries: [log("w1", 2)] }));
    assert.equal(error.code, Code.Unavailable);
    await client.ingestEntries({ entries: [log("w1", 3)] });
    assert.equal((await rejection(client.ingestEntries({ entries: [] }))).code, Code.Unavailable);
    assert.deepEqual(keys(await readLines(out)), ["log:w1:1", "log:w1:3"]);
  });

  it("--delay-ms N answers late; a caller whose deadline passes first gets nothing stored", async () => {
    const out = await tempFile();
    await using handler = await startHandler(["--out", out, "--delay-ms", "300"]);
    const client = handler.client();
    const error = await rejection(
      client.ingestEntries({ entries: [log("w1", 1)] }, { timeoutMs: 50 }),
    );
    assert.equal(error.code, Code.DeadlineExceeded);
    await handler.waitForLog("callRejected", { code: "CANCELLED" });
    const started = performance.now();
    const response = await client.ingestEntries({ entries: [log("w1", 2)] });
    assert.ok(performance.now() - started >= 290, "answered after the delay");
    assert.equal(response.stored, 1);
    assert.deepEqual(keys(await readLines(out)), ["log:w1:2"]);
  });

  it("--token T answers UNAUTHENTICATED to calls without that bearer token", async () => {
    const out = await tempFile();
    await using handler = await startHandler(["--out", out, "--token", "s3cret"]);
    const client = handler.client();
    const batch = { entries: [log("w1", 1)] };
    const missing = await rejection(client.ingestEntries(batch));
    assert.equal(missing.code, Code.Unauthenticated);
    const wrong = await rejection(
      client.ingestEntries(batch, { headers: { authorization: "Bearer nope" } }),
    );
    assert.equal(wrong.code, Code.Unauthenticated);
    assert.equal(await readLines(out).then((l) => l.length), 0);
    const ok = await client.ingestEntries(batch, { headers: { authorization: "Bearer s3cret" } });
    assert.equal(ok.stored, 1);
  });

  it("serves TLS with --tls-cert and --tls-key", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "otto-handler-tls-"));
    const { cert, key } = testTls;
    const out = path.join(dir, "out.jsonl");
    await using handler = await startHandler(["--out", out, "--tls-cert", cert, "--tls-key", key]);
    const client = handler.client({ tlsCa: await readFile(cert) });
    const response = await client.ingestEntries({ entries: [log("w1", 1)] });
    assert.equal(response.stored, 1);
    // Plain HTTP/2 to the TLS port fails (the connection is closed, reported as CANCELED).
    await rejection(
      handler.client().ingestEntries({ entries: [log("w1", 2)] }, { timeoutMs: 2000 }),
    );
    assert.deepEqual(keys(await readLines(out)), ["log:w1:1"]);
  });

  it("on SIGTERM finishes the call in flight, refuses new ones and exits 0", async () => {
    const out = await tempFile();
    await using handler = await startHandler([
      ...["--out", out, "--delay-ms", "500", "--log-level", "debug"],
    ]);
    const inFlight = handler.client().ingestEntries({ entries: [log("w1", 1)] });
    await handler.waitForLog("callReceived");
    const exited = handler.stop("SIGTERM");
    await handler.waitForLog("stopping");
    const refused = await rejection(handler.client().ingestEntries({ entries: [log("w1", 2)] }));
    // Refused (ECONNREFUSED → Unavailable); when the connection raced the listener's close,
    // reset (ECONNRESET → Aborted); or a stream the closing session cancelled (RST_STREAM
    // CANCEL → Canceled): each means not stored, and the controller sends it again.
    assert.ok(
      [Code.Unavailable, Code.Aborted, Code.Canceled].includes(refused.code),
      `refused with ${Code[refused.code]}`,
    );
    assert.equal((await inFlight).stored, 1);
    assert.equal(await exited, 0);
    assert.deepEqual(keys(await readLines(out)), ["log:w1:1"]);
  });

  it("keeps 200,000 entries from 20 workers exactly once, in order, and after a restart", async () => {
    const out = await tempFile();
    const workers = 20;
    const perWorker = 10_000;
    const batchSize = 1000;
    const batches: EntryInit[][] = [];
    for (let start = 1; start <= perWorker; start += batchSize / workers) {
      const batch: EntryInit[] = [];
      for (let s = start; s < start + batchSize / workers; s++) {
        for (let w = 0; w < workers; w++) batch.push(log(`w${w}`, s));
      }
      batches.push(batch);
    }
    {
      await using handler = await startHandler(["--out", out, "--max-store", "900"]);
      const client = handler.client();
      // At-least-once like the controller: resend from the first entry not acknowledged.
      for (const batch of batches) {
        let rest = batch;
        while (rest.length > 0) {
          const { stored } = await client.ingestEntries({ entries: rest });
          rest = rest.slice(stored);
        }
      }
      assert.equal(await handler.stop(), 0);
      const stopped = await handler.waitForLog("stopped");
      assert.deepEqual(stopped.logKeys, { ids: workers, outOfOrder: 0 }, "compact dedupe state");
    }
    await using handler = await startHandler(["--out", out]);
    assert.equal((await handler.waitForLog("outFileRead")).lines, workers * perWorker);
    const resent = await handler.client().ingestEntries({ entries: batches.at(-1) ?? [] });
    assert.equal(resent.duplicates, batchSize);
    const next = new Map<string, number>();
    let count = 0;
    for (const line of await readLines(out)) {
      const worker = String(line.workerId);
      const expected = (next.get(worker) ?? 0) + 1;
      assert.equal(line.sequence, expected, `${worker} in order, once`);
      next.set(worker, expected);
      count++;
    }
    assert.equal(count, workers * perWorker);
  });

  it("prints --help with every flag, and exits 2 on a bad argument", async () => {
    const run = promisify(execFile);
    const main = path.join(import.meta.dirname, "main.ts");
    const { stdout } = await run(process.execPath, [main, "--help"]);
    for (const flag of [
      "--port",
      "--out",
      "--tls-cert",
      "--tls-key",
      "--token",
      "--delay-ms",
      "--max-store",
      "--fail-every",
      "--reject-line",
    ]) {
      assert.ok(stdout.includes(flag), flag);
    }
    await assert.rejects(run(process.execPath, [main, "--out", "x", "--fail-every", "0"]), {
      code: 2,
      stderr: /--fail-every: "0" is not a whole number from 1/,
    });
  });
});

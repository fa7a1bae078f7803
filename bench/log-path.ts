/**
 * The log path's throughput: `npm run bench:logs`.
 *
 * 20 workers print numbered lines through the real controller (server/main.ts,
 * local executor) into its journals and on to the reference Otto-handler, and
 * (a second run, since 100 followers multiply the messages a hundredfold) out
 * to 100 concurrent StreamBuildLogs followers as well. Baselines in the same
 * run: the same 20 workers piped straight into this process (how fast lines
 * can be produced and read at all), the same entries pushed straight to the
 * handler (how fast it stores them), and a plain @grpc/grpc-js server streaming
 * the same entries from memory to 100 followers. A last run keeps Otto-handler
 * unreachable, to show the controller's memory while entries pile up on disk.
 * Sizes: BENCH_LOG_LINES (per worker, default 10000), BENCH_LOG_FOLLOW_LINES
 * (per worker in the followers' run, default 1000), BENCH_LOG_SUBSCRIBERS
 * (default 100).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { EntrySchema, LogLineSchema } from "../gen/otto/handler/v1/handler_pb.js";
import { LogStreamingService } from "../gen/ottoscaler/v1/log_streaming_pb.js";
import { PipelineStatus } from "../gen/ottoscaler/v1/pipeline_pb.js";
import { startHandler } from "../server/dev/otto-handler/handler-process.ts";
import { startController } from "../server/testing/controller-process.ts";
import { caughtUp, forwardingWhen } from "../server/testing/forwarding-status.ts";
import { LineSplitter } from "../server/util/line-splitter.ts";
import { protoDir } from "./proto.ts";
import { count, fixed, ratio, renderTable } from "./table.ts";

const workers = 20;
const linesPerWorker = Number(process.env.BENCH_LOG_LINES ?? 10_000);
const followLinesPerWorker = Number(process.env.BENCH_LOG_FOLLOW_LINES ?? 1_000);
const subscribers = Number(process.env.BENCH_LOG_SUBSCRIBERS ?? 100);
const heapCapMiB = 96;
const lineText = (w: number | string, i: number | string) =>
  `worker ${w} line ${i} of the log path benchmark`;
const commandFor = (lines: number) =>
  `seq -f "${lineText("$OTTOSCALER_WORKER_INDEX", "%.0f")}" 1 ${lines}`;

const progress = (line: string) => process.stderr.write(`${line}\n`);
const seconds = (since: number) => (performance.now() - since) / 1000;

async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Baseline: the same workers, piped into this process and split into lines, nothing kept. */
async function pipedBaseline(lines: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, (_, index) => {
      const child = spawn("sh", ["-c", commandFor(lines)], {
        env: { ...process.env, OTTOSCALER_WORKER_INDEX: String(index) },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let seen = 0;
      const splitter = new LineSplitter(16_384, () => seen++);
      child.stdout.on("data", (chunk: Buffer) => splitter.write(chunk));
      return new Promise<void>((resolve, reject) =>
        child.on("close", () => {
          splitter.end();
          if (seen === lines) resolve();
          else reject(new Error(`a baseline worker printed ${seen} of ${lines}`));
        }),
      );
    }),
  );
  return seconds(started);
}

/** Baseline: the same log entries pushed straight to the reference handler, batches of 1000. */
async function directToHandler(lines: number): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-handler-"));
  await using handler = await startHandler(["--out", path.join(dir, "out.jsonl")]);
  const client = handler.client();
  const started = performance.now();
  for (let w = 0; w < workers; w++) {
    for (let from = 1; from <= lines; from += 1000) {
      const entries = Array.from({ length: Math.min(1000, lines - from + 1) }, (_, i) =>
        create(EntrySchema, {
          kind: {
            case: "log",
            value: create(LogLineSchema, {
              workerId: `direct.emit.a1.w${w}`,
              sequence: BigInt(from + i),
              line: lineText(w, from + i),
              pipelineId: "direct",
              stageId: "emit",
              attempt: 1,
            }),
          },
        }),
      );
      const { stored } = await client.ingestEntries({ source: "bench", entries });
      if (stored !== entries.length) throw new Error("the handler stored part of a batch");
    }
  }
  return seconds(started);
}

/** Reads one build log to its end; resolves with how many entries came. */
async function follow(stream: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of stream) n++;
  return n;
}

/** Baseline: a plain @grpc/grpc-js server streaming the same entries from memory to the followers. */
async function grpcJsFollowers(lines: number): Promise<number> {
  const definition = protoLoader.loadSync("ottoscaler/v1/log_streaming.proto", {
    includeDirs: [protoDir],
    longs: String,
    enums: String,
    defaults: false,
  });
  const entries: object[] = [];
  const now = { seconds: String(Math.floor(Date.now() / 1000)), nanos: 0 };
  for (let i = 1; i <= lines; i++) {
    for (let w = 0; w < workers; w++) {
      entries.push({
        pipelineId: "baseline",
        stageId: "emit",
        attempt: 1,
        entry: {
          workerId: `baseline.emit.a1.w${w}`,
          line: lineText(w, i),
          stream: "LOG_STREAM_STDOUT",
          timestamp: now,
          sequence: String(i),
        },
      });
    }
  }
  const server = new grpc.Server();
  const service = definition["ottoscaler.v1.LogStreamingService"] as grpc.ServiceDefinition;
  server.addService(service, {
    StreamBuildLogs(call: grpc.ServerWritableStream<object, object>) {
      let i = 0;
      // Respecting flow control, as a server streaming a large log must.
      const pump = () => {
        while (i < entries.length) {
          if (!call.write(entries[i++] as object)) return void call.once("drain", pump);
        }
        call.end();
      };
      pump();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e === null ? resolve(p) : reject(e),
    ),
  );
  const client = createClient(
    LogStreamingService,
    createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }),
  );
  const started = performance.now();
  const counts = await Promise.all(
    Array.from({ length: subscribers }, () =>
      follow(client.streamBuildLogs({ pipelineId: "baseline", follow: true })),
    ),
  );
  const elapsed = seconds(started);
  server.forceShutdown();
  if (counts.some((n) => n !== workers * lines))
    throw new Error("a baseline follower missed lines");
  return elapsed;
}

interface ThroughRun {
  /** Workers started -> pipeline SUCCEEDED (every line in the journal). */
  journalSeconds: number;
  /** -> every follower has every line (NaN without followers). */
  followersSeconds: number;
  /** -> Otto-handler has acknowledged every line (NaN with it down). */
  handlerSeconds: number;
  peakRssMiB: number;
  startRssMiB: number;
}

/** Ours: the real controller, `lines` per worker, `followers` StreamBuildLogs followers. */
async function throughController(
  lines: number,
  followers: number,
  handlerUp: boolean,
  nodeOptions = "",
): Promise<ThroughRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-logs-"));
  const handler = handlerUp
    ? await startHandler(["--out", path.join(dir, "out.jsonl")])
    : undefined;
  const controller = await startController({
    OTTOSCALER_DATA_DIR: path.join(dir, "data"),
    // Down: a port nothing listens on.
    OTTO_HANDLER_URL: `http://127.0.0.1:${handler?.port ?? 9}`,
    OTTOSCALER_MAX_WORKERS: String(workers),
    NODE_OPTIONS: nodeOptions,
  });
  try {
    const startRssMiB = await peakRssMiB(controller.pid);
    const pipelineId = `run-${lines}-${followers}-${handlerUp ? "up" : "down"}`;
    const total = workers * lines;
    const started = performance.now();
    const events = controller.ottoscaler.executePipeline({
      pipelineId,
      stages: [{ id: "emit", workers, command: [commandFor(lines)] }],
    });
    const iterator = events[Symbol.asyncIterator]();
    await iterator.next(); // the pipeline exists: followers can attach
    const followed = Array.from({ length: followers }, async () => {
      const n = await follow(controller.logStreaming.streamBuildLogs({ pipelineId, follow: true }));
      if (n !== total) throw new Error(`a follower got ${n} of ${total} lines`);
      return performance.now();
    });
    let last: PipelineStatus | undefined;
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) last = r.value.status;
    if (last !== PipelineStatus.SUCCEEDED) throw new Error(`pipeline ended ${last}`);
    const journalSeconds = seconds(started);
    const ends = await Promise.all(followed);
    const followersSeconds = followers === 0 ? Number.NaN : (Math.max(...ends) - started) / 1000;
    let handlerSeconds = Number.NaN;
    if (handlerUp) {
      await forwardingWhen(controller.logStreaming, caughtUp(total), Number.POSITIVE_INFINITY);
      handlerSeconds = seconds(started);
    }
    return {
      journalSeconds,
      followersSeconds,
      handlerSeconds,
      peakRssMiB: await peakRssMiB(controller.pid),
      startRssMiB,
    };
  } finally {
    await controller.stop("SIGKILL");
    await handler?.stop("SIGKILL");
  }
}

async function main(): Promise<void> {
  const total = workers * linesPerWorker;
  const followTotal = workers * followLinesPerWorker;
  progress(`log path: ${workers} workers x ${count(linesPerWorker)} lines`);
  progress("baseline: workers piped straight into the bench process");
  const piped = await pipedBaseline(linesPerWorker);
  progress("baseline: entries pushed straight to the reference Otto-handler");
  const direct = await directToHandler(linesPerWorker);
  progress("ours: through the controller to its journals and Otto-handler");
  const up = await throughController(linesPerWorker, 0, true);
  progress("ours: the same with Otto-handler down the whole time");
  const down = await throughController(linesPerWorker, 0, false);
  // What the controller really keeps: with V8's old space capped, five times the lines still go
  // through while nothing is delivered (V8 otherwise grows its heap lazily, which RSS shows).
  progress(`ours: ${count(5 * linesPerWorker)} lines per worker, Otto-handler down, heap capped`);
  const capped = await throughController(
    5 * linesPerWorker,
    0,
    false,
    `--max-old-space-size=${heapCapMiB}`,
  );
  progress(`followers: ${subscribers} x ${workers} workers x ${count(followLinesPerWorker)} lines`);
  progress("baseline: a @grpc/grpc-js server streaming the entries from memory");
  const baselineFollow = await grpcJsFollowers(followLinesPerWorker);
  progress("ours: through the controller to its journals, the followers and Otto-handler");
  const followed = await throughController(followLinesPerWorker, subscribers, true);

  const rate = (n: number, s: number) => n / s;
  console.log(
    [
      `Log path, controller = server/main.ts with the local executor, reference Otto-handler (npm run otto-handler-dev)`,
      "",
      `1. ${workers} workers x ${count(linesPerWorker)} lines = ${count(total)} lines, no followers`,
      renderTable(
        ["path", "seconds", "lines/s", "ours/baseline"],
        [
          [
            "baseline: workers piped into one process",
            fixed(piped, 2),
            count(rate(total, piped)),
            "",
          ],
          [
            "ours: workers -> controller -> journal",
            fixed(up.journalSeconds, 2),
            count(rate(total, up.journalSeconds)),
            ratio(rate(total, up.journalSeconds) / rate(total, piped)),
          ],
          [
            "baseline: entries pushed straight to Otto-handler",
            fixed(direct, 2),
            count(rate(total, direct)),
            "",
          ],
          [
            "ours: ... -> Otto-handler has every line",
            fixed(up.handlerSeconds, 2),
            count(rate(total, up.handlerSeconds)),
            ratio(rate(total, up.handlerSeconds) / rate(total, direct)),
          ],
        ],
      ),
      "",
      `2. ${workers} workers x ${count(followLinesPerWorker)} lines = ${count(followTotal)} lines, ${subscribers} StreamBuildLogs followers (${count(followTotal * subscribers)} messages) and Otto-handler`,
      renderTable(
        ["path", "seconds", "lines/s to followers (all)", "ours/baseline"],
        [
          [
            `baseline: @grpc/grpc-js server, entries in memory`,
            fixed(baselineFollow, 2),
            count(rate(followTotal * subscribers, baselineFollow)),
            "",
          ],
          [
            "ours: workers -> journal -> every follower has every line",
            fixed(followed.followersSeconds, 2),
            count(rate(followTotal * subscribers, followed.followersSeconds)),
            ratio(baselineFollow / followed.followersSeconds),
          ],
          [
            "ours: ... -> Otto-handler has every line (same run)",
            fixed(followed.handlerSeconds, 2),
            `${count(rate(followTotal, followed.handlerSeconds))} (to the handler)`,
            "",
          ],
        ],
      ),
      "",
      "3. Controller memory (VmHWM = peak RSS of the process)",
      renderTable(
        ["run", "RSS at start MiB", "peak RSS MiB"],
        [
          ["1, Otto-handler up", fixed(up.startRssMiB, 0), fixed(up.peakRssMiB, 0)],
          [
            "1, Otto-handler down: entries wait on disk",
            fixed(down.startRssMiB, 0),
            fixed(down.peakRssMiB, 0),
          ],
          [
            `1 x5 (${count(5 * workers * linesPerWorker)} lines), down, --max-old-space-size=${heapCapMiB}`,
            fixed(capped.startRssMiB, 0),
            fixed(capped.peakRssMiB, 0),
          ],
          ["2, with the followers", fixed(followed.startRssMiB, 0), fixed(followed.peakRssMiB, 0)],
          ["ratio down/up (run 1)", "", ratio(down.peakRssMiB / up.peakRssMiB)],
        ],
      ),
    ].join("\n"),
  );
}

await main();

/**
 * The log path's throughput: `npm run bench:logs`.
 *
 * 20 workers print numbered lines through the real controller (server/main.ts,
 * local executor) into its journals, out to 100 concurrent StreamBuildLogs
 * followers, and on to the reference Otto-handler; in the same run, two
 * baselines: the same 20 workers piped straight into this process (how fast
 * the lines can be produced and read at all), and the same number of entries
 * pushed straight to the handler (how fast it can store them). A last run keeps
 * Otto-handler unreachable, to show the controller's memory while entries pile
 * up on disk. Sizes: BENCH_LOG_LINES (per worker, default 10000),
 * BENCH_LOG_SUBSCRIBERS (default 100).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { EntrySchema, LogLineSchema } from "../gen/otto/handler/v1/handler_pb.js";
import { PipelineStatus } from "../gen/ottoscaler/v1/pipeline_pb.js";
import { startHandler } from "../server/dev/otto-handler/handler-process.ts";
import { type ControllerProcess, startController } from "../server/testing/controller-process.ts";
import { LineSplitter } from "../server/util/line-splitter.ts";
import { count, fixed, ratio, renderTable } from "./table.ts";

const workers = 20;
const linesPerWorker = Number(process.env.BENCH_LOG_LINES ?? 10_000);
const subscribers = Number(process.env.BENCH_LOG_SUBSCRIBERS ?? 100);
const totalLines = workers * linesPerWorker;
const command = `seq -f "worker $OTTOSCALER_WORKER_INDEX line %.0f of the log path benchmark" 1 ${linesPerWorker}`;

const progress = (line: string) => process.stderr.write(`${line}\n`);

async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Baseline 1: the same workers, piped into this process and split into lines, nothing kept. */
async function pipedBaseline(): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, (_, index) => {
      const child = spawn("sh", ["-c", command], {
        env: { ...process.env, OTTOSCALER_WORKER_INDEX: String(index) },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let lines = 0;
      const splitter = new LineSplitter(16_384, () => lines++);
      child.stdout.on("data", (chunk: Buffer) => splitter.write(chunk));
      return new Promise<void>((resolve) =>
        child.on("close", () => {
          splitter.end();
          if (lines !== linesPerWorker) throw new Error(`baseline worker printed ${lines}`);
          resolve();
        }),
      );
    }),
  );
  return (performance.now() - started) / 1000;
}

/** Baseline 2: the same number of log entries pushed straight to the handler, batches of 1000. */
async function directToHandler(): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-handler-"));
  await using handler = await startHandler(["--out", path.join(dir, "out.jsonl")]);
  const client = handler.client();
  const started = performance.now();
  for (let w = 0; w < workers; w++) {
    for (let from = 1; from <= linesPerWorker; from += 1000) {
      const entries = Array.from({ length: Math.min(1000, linesPerWorker - from + 1) }, (_, i) =>
        create(EntrySchema, {
          kind: {
            case: "log",
            value: create(LogLineSchema, {
              workerId: `direct.emit.a1.w${w}`,
              sequence: BigInt(from + i),
              line: `worker ${w} line ${from + i} of the log path benchmark`,
              pipelineId: "direct",
              stageId: "emit",
              attempt: 1,
            }),
          },
        }),
      );
      const { stored } = await client.ingestEntries({ source: "bench", entries });
      if (stored !== entries.length) throw new Error("handler stored part of a batch");
    }
  }
  return (performance.now() - started) / 1000;
}

async function waitCaughtUp(controller: ControllerProcess, minimum: number): Promise<void> {
  for (;;) {
    const [status] = (await controller.logStreaming.getLogForwardingStatus({})).destinations;
    if (status?.lagEntries === 0n && (status.acknowledgedEntriesTotal ?? 0n) >= BigInt(minimum))
      return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface ThroughRun {
  ingestSeconds: number;
  subscribersSeconds: number;
  handlerSeconds: number;
  peakRssMiB: number;
  idleRssMiB: number;
}

/** Ours: through the controller, to `subscribers` followers and to the handler (if `handlerUp`). */
async function throughController(handlerUp: boolean): Promise<ThroughRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-logs-"));
  const handler = handlerUp
    ? await startHandler(["--out", path.join(dir, "out.jsonl")])
    : undefined;
  const controller = await startController({
    OTTOSCALER_DATA_DIR: path.join(dir, "data"),
    // Down: a port nothing listens on.
    OTTO_HANDLER_URL: `http://127.0.0.1:${handler?.port ?? 9}`,
    OTTOSCALER_MAX_WORKERS: String(workers),
  });
  try {
    const idleRssMiB = await peakRssMiB(controller.pid);
    const pipelineId = handlerUp ? "through" : "handler-down";
    const started = performance.now();
    const events = controller.ottoscaler.executePipeline({
      pipelineId,
      stages: [{ id: "emit", workers, command: [command] }],
    });
    const iterator = events[Symbol.asyncIterator]();
    await iterator.next(); // the pipeline exists: followers can attach
    const followers = Array.from({ length: subscribers }, async () => {
      let lines = 0;
      for await (const _ of controller.logStreaming.streamBuildLogs({ pipelineId, follow: true }))
        lines++;
      if (lines !== totalLines) throw new Error(`a follower got ${lines} of ${totalLines} lines`);
      return performance.now();
    });
    let last: PipelineStatus | undefined;
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) last = r.value.status;
    if (last !== PipelineStatus.SUCCEEDED) throw new Error(`pipeline ended ${last}`);
    const ingestSeconds = (performance.now() - started) / 1000;
    const subscribersSeconds = (Math.max(...(await Promise.all(followers))) - started) / 1000;
    let handlerSeconds = Number.NaN;
    if (handlerUp) {
      await waitCaughtUp(controller, totalLines);
      handlerSeconds = (performance.now() - started) / 1000;
    }
    return {
      ingestSeconds,
      subscribersSeconds,
      handlerSeconds,
      peakRssMiB: await peakRssMiB(controller.pid),
      idleRssMiB,
    };
  } finally {
    await controller.stop("SIGKILL");
    await handler?.stop("SIGKILL");
  }
}

async function main(): Promise<void> {
  progress(
    `log path: ${workers} workers x ${count(linesPerWorker)} lines, ${subscribers} followers`,
  );
  progress("baseline: workers piped straight into the bench process");
  const piped = await pipedBaseline();
  progress("baseline: entries pushed straight to the reference Otto-handler");
  const direct = await directToHandler();
  progress("ours: through the controller, Otto-handler up");
  const up = await throughController(true);
  progress("ours: through the controller, Otto-handler down the whole time");
  const down = await throughController(false);
  const rate = (seconds: number) => totalLines / seconds;
  console.log(
    [
      `Log path: ${workers} workers x ${count(linesPerWorker)} lines (${count(totalLines)} lines), ${subscribers} StreamBuildLogs followers (follow), reference Otto-handler; controller = server/main.ts, local executor`,
      "",
      renderTable(
        ["path", "seconds", "lines/s", "ratio to its baseline"],
        [
          ["baseline: 20 workers piped into one process", fixed(piped, 2), count(rate(piped)), ""],
          [
            "ours: workers -> controller -> journal (pipeline done)",
            fixed(up.ingestSeconds, 2),
            count(rate(up.ingestSeconds)),
            ratio(rate(up.ingestSeconds) / rate(piped)),
          ],
          [
            `ours: ... -> all ${subscribers} followers have every line`,
            fixed(up.subscribersSeconds, 2),
            `${count(rate(up.subscribersSeconds))} (x${subscribers})`,
            ratio(rate(up.subscribersSeconds) / rate(piped)),
          ],
          [
            "baseline: entries pushed straight to Otto-handler",
            fixed(direct, 2),
            count(rate(direct)),
            "",
          ],
          [
            "ours: ... -> Otto-handler has every line (from start)",
            fixed(up.handlerSeconds, 2),
            count(rate(up.handlerSeconds)),
            ratio(rate(up.handlerSeconds) / rate(direct)),
          ],
        ],
      ),
      "",
      renderTable(
        ["controller memory", "RSS at start MiB", "peak RSS MiB"],
        [
          ["Otto-handler up", fixed(up.idleRssMiB, 0), fixed(up.peakRssMiB, 0)],
          [
            "Otto-handler down (everything waits on disk)",
            fixed(down.idleRssMiB, 0),
            fixed(down.peakRssMiB, 0),
          ],
          ["ratio down/up", "", ratio(down.peakRssMiB / up.peakRssMiB)],
        ],
      ),
    ].join("\n"),
  );
}

await main();

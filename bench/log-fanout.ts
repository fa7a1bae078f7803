/**
 * Memory under fan-out (`npm run bench:fanout`): one build of BENCH_FANOUT_WORKERS workers
 * (default 8) printing BENCH_FANOUT_LINES lines each (default 1,500), followed live by
 * BENCH_FANOUT_FOLLOWERS @grpc/grpc-js StreamBuildLogs followers (default 200) on one channel,
 * plus one more HTTP/2 reader that never reads (BENCH_FANOUT_NODE_OPTIONS: the controller's
 * NODE_OPTIONS, e.g. a heap cap to tell retained memory from lazy heap growth). Prints the controller's resident memory at
 * idle, at its peak (VmHWM) and after, and checks every follower got every line.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { PipelineStatus } from "../gen/ottoscaler/v1/pipeline_pb.js";
import { startController } from "../server/testing/controller-process.ts";
import { knobValue } from "./knob.ts";
import { protoDir } from "./proto.ts";
import { count, fixed, renderTable } from "./table.ts";

const workers = knobValue(process.env, { env: "BENCH_FANOUT_WORKERS", default: 8, min: 1 });
const lines = knobValue(process.env, { env: "BENCH_FANOUT_LINES", default: 1_500, min: 1 });
const followers = knobValue(process.env, { env: "BENCH_FANOUT_FOLLOWERS", default: 200, min: 1 });
const progress = (line: string) => process.stderr.write(`${line}\n`);

async function memoryMiB(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

function streamBuildLogs() {
  const definition = protoLoader.loadSync("ottoscaler/v1/log_streaming.proto", {
    includeDirs: [protoDir],
    longs: String,
    enums: String,
    defaults: false,
  });
  const service = definition["ottoscaler.v1.LogStreamingService"] as protoLoader.ServiceDefinition;
  const method = service.StreamBuildLogs;
  if (method === undefined) throw new Error("no StreamBuildLogs in the protos");
  return method;
}

async function main(): Promise<void> {
  const controller = await startController({
    OTTOSCALER_MAX_WORKERS: String(workers),
    OTTOSCALER_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), "bench-fanout-")),
    NODE_OPTIONS: process.env.BENCH_FANOUT_NODE_OPTIONS ?? "",
  });
  const method = streamBuildLogs();
  const address = new URL(controller.url).host;
  // One channel, as one dashboard backend or one Otto-handler would hold.
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const stalled = new grpc.Client(address, grpc.credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
  });
  try {
    const idle = await memoryMiB(controller.pid);
    const pipelineId = "fanout";
    const total = workers * lines;
    progress(`fan-out: ${followers} followers x ${workers} workers x ${count(lines)} lines`);
    const events = controller.ottoscaler.executePipeline({
      pipelineId,
      stages: [
        {
          id: "emit",
          workers,
          command: [
            `seq -f "worker $OTTOSCALER_WORKER_INDEX line %.0f of the fan-out benchmark" 1 ${lines}`,
          ],
        },
      ],
    });
    const iterator = events[Symbol.asyncIterator]();
    await iterator.next(); // the pipeline exists: followers can attach
    const follow = (c: grpc.Client) =>
      c.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, {
        pipelineId,
        follow: true,
      });
    // A reader that never reads: it must cost no more than its stream's flow-control window.
    const stall = follow(stalled);
    stall.pause();
    stall.on("error", () => {}); // its cancellation at the end
    const started = performance.now();
    const counts = await Promise.all(
      Array.from(
        { length: followers },
        () =>
          new Promise<number>((resolve, reject) => {
            let n = 0;
            const call = follow(client);
            call.on("data", () => n++);
            call.on("end", () => resolve(n));
            call.on("error", reject);
          }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    let last: PipelineStatus | undefined;
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) last = r.value.status;
    if (last !== PipelineStatus.SUCCEEDED) throw new Error(`pipeline ended ${last}`);
    const short = counts.filter((n) => n !== total).length;
    if (short > 0) throw new Error(`${short} follower(s) missed lines (want ${total})`);
    stall.cancel();
    const after = await memoryMiB(controller.pid);
    const messages = followers * total;
    process.stdout.write(
      `${renderTable(
        ["followers", "messages", "seconds", "messages/s", "idle MiB", "peak MiB", "after MiB"],
        [
          [
            count(followers),
            count(messages),
            fixed(seconds, 2),
            count(messages / seconds),
            fixed(idle.rss, 0),
            fixed(after.peak, 0),
            fixed(after.rss, 0),
          ],
        ],
      )}\n`,
    );
  } finally {
    client.close();
    stalled.close();
    await controller.stop("SIGKILL");
  }
}

await main();

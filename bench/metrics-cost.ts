/**
 * The cost of metrics (issue 13): unary throughput of a server with metrics on against one with
 * them off (OTTOSCALER_METRICS=false), each a controller process of its own (two servers in one
 * process run at different speeds whatever their settings), same run, rounds alternated; then the time
 * and size of a /metrics scrape with 100 workers running (local executor).
 * `npm run bench:metrics`; sizes: BENCH_METRICS_CALLS (unary calls a round),
 * BENCH_METRICS_ROUNDS, BENCH_METRICS_SCRAPES.
 */
import { WorkerPhase } from "../gen/ottoscaler/v1/worker_pb.js";
import { type ControllerProcess, startController } from "../server/testing/controller-process.ts";
import { tempDataDir } from "../server/testing/data-dir.ts";
import { median, summarize } from "./stats.ts";

const calls = Number(process.env.BENCH_METRICS_CALLS ?? 20_000);
const rounds = Number(process.env.BENCH_METRICS_ROUNDS ?? 7);
const scrapes = Number(process.env.BENCH_METRICS_SCRAPES ?? 50);
const concurrency = 64;
const workers = 100;

// The limits are not what is measured.
const env = () => ({
  OTTOSCALER_RATE_LIMIT_BURST: "1000000",
  OTTOSCALER_MAX_WORKERS: String(workers),
  OTTOSCALER_DATA_DIR: tempDataDir(),
});
const on = await startController(env());
const off = await startController({ ...env(), OTTOSCALER_METRICS: "false" });
const targets: { name: string; server: ControllerProcess }[] = [
  { name: "metrics on", server: on },
  { name: "metrics off", server: off },
];

async function unary(server: ControllerProcess): Promise<number> {
  const client = server.ottoscaler;
  let left = calls;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await client.getWorkerStatus({});
    }),
  );
  return calls / ((performance.now() - started) / 1000);
}

const results = new Map(targets.map((t) => [t.name, [] as number[]]));
for (const t of targets) await unary(t.server); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
    results.get(t.name)?.push(await unary(t.server));
  }
}
const line = (name: string, xs: number[]) => {
  const s = summarize(xs);
  return `${name.padEnd(12)} unary median ${median(xs).toFixed(0).padStart(6)} calls/s   spread ${s.min.toFixed(0)}–${s.max.toFixed(0)} (±${(((s.max - s.min) / 2 / median(xs)) * 100).toFixed(1)} %)\n`;
};
const onRates = results.get("metrics on") ?? [];
const offRates = results.get("metrics off") ?? [];
process.stdout.write(line("metrics on", onRates));
process.stdout.write(line("metrics off", offRates));
process.stdout.write(
  `on / off: ${(median(onRates) / median(offRates)).toFixed(3)} (${calls} calls x ${concurrency} in flight, median of ${rounds} interleaved rounds)\n`,
);

// 100 workers running: the scrape reads every worker for the workers gauges.
await on.ottoscaler.scaleUp({
  taskId: "bench-scrape",
  workerCount: workers,
  command: ["sleep 600"],
});
const running = async () =>
  (await on.ottoscaler.getWorkerStatus({ taskId: "bench-scrape" })).workers.filter(
    (w) => w.phase === WorkerPhase.RUNNING,
  ).length;
for (const deadline = Date.now() + 60_000; (await running()) < workers; ) {
  if (Date.now() > deadline)
    throw new Error(`only ${await running()} of ${workers} workers running`);
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const times: number[] = [];
let bytes = 0;
for (let i = 0; i < scrapes; i++) {
  const started = performance.now();
  const res = await fetch(`${on.url}/metrics`);
  const body = await res.arrayBuffer();
  times.push(performance.now() - started);
  bytes = body.byteLength;
}
const s = summarize(times);
process.stdout.write(
  `/metrics with ${await running()} workers running: median ${s.p50.toFixed(2)} ms, p90 ${s.p90.toFixed(2)} ms, max ${s.max.toFixed(2)} ms over ${scrapes} scrapes; ${bytes} bytes\n`,
);
await on.ottoscaler.scaleDown({ taskId: "bench-scrape", workerCount: workers });
await Promise.all(targets.map((t) => t.server.stop()));

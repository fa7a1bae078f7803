/**
 * Ottoscaler benchmarks: `npm run bench` (or `npx node bench/run.ts`).
 *
 * 1. Unary GetWorkerStatus over gRPC, our server against a plain
 *    @grpc/grpc-js server for the same proto, one shared client in a child
 *    process.
 * 2. Pipeline-engine stage transitions, against bare p-queue chaining.
 *
 * Sizes come from BENCH_* variables (see bench/options.ts); BENCH_ONLY=grpc
 * or BENCH_ONLY=engine runs one of them. Tables go to stdout, progress to
 * stderr, and everything measured to bench/results/latest.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { type EngineTransitionsResult, runEngineTransitionsBench } from "./engine-transitions.ts";
import { type GrpcUnaryResult, runGrpcUnaryBench } from "./grpc-unary.ts";
import { type BenchOptions, describeOptions, readOptions } from "./options.ts";
import { count, fixed, ratio, renderTable } from "./table.ts";

const resultsDir = new URL("./results/", import.meta.url);
const resultsFile = new URL("latest.json", resultsDir);

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function environment() {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
  };
}

function grpcReport(r: GrpcUnaryResult): string {
  const ours = r.targets.ottoscaler;
  const base = r.targets["grpc-js"];
  const lat = (t: typeof ours) => [
    fixed(t.latency.latencyMs.p50, 3),
    fixed(t.latency.latencyMs.p99, 3),
    count(t.latency.throughputRps),
  ];
  const thr = (t: typeof ours) => [
    fixed(t.throughput.latencyMs.p50, 3),
    fixed(t.throughput.latencyMs.p99, 3),
    count(t.throughput.throughputRps),
  ];
  const header = ["server", "p50 ms", "p99 ms", "req/s"];
  return [
    `Unary GetWorkerStatus over gRPC (${r.workers} workers per response, ${r.responseBytes.ottoscaler} / ${r.responseBytes["grpc-js"]} bytes; client: @grpc/grpc-js, one channel per server, separate process)`,
    "",
    `Latency: ${count(ours.latency.calls)} calls per server at concurrency ${ours.latency.concurrency}`,
    renderTable(header, [
      ["ottoscaler (Connect, node:http2)", ...lat(ours)],
      ["baseline (@grpc/grpc-js server)", ...lat(base)],
      [
        "ratio ours/baseline",
        ratio(r.ratios.latencyP50),
        ratio(r.ratios.latencyP99),
        ratio(r.ratios.latencyThroughput),
      ],
    ]),
    "",
    `Throughput: ${count(ours.throughput.calls)} calls per server at concurrency ${ours.throughput.concurrency}`,
    renderTable(header, [
      ["ottoscaler (Connect, node:http2)", ...thr(ours)],
      ["baseline (@grpc/grpc-js server)", ...thr(base)],
      [
        "ratio ours/baseline",
        ratio(r.ratios.throughputP50),
        ratio(r.ratios.throughputP99),
        ratio(r.ratios.throughput),
      ],
    ]),
  ].join("\n");
}

function engineReport(r: EngineTransitionsResult): string {
  const row = (name: string, s: typeof r.engine) => [
    name,
    count(s.transitionUs.count),
    fixed(s.transitionUs.p50, 1),
    fixed(s.transitionUs.p99, 1),
    fixed(s.transitionUs.max, 1),
    fixed(s.medianWallMs, 1),
    fixed(s.wallUsPerStep, 1),
    count(s.chainsPerSecond),
  ];
  return [
    `Stage transitions: ${count(r.engine.chains)} chain pipelines x ${r.engine.steps} stages, all in flight at once, ${r.engine.rounds} round(s)`,
    "(transition = last worker of stage i-1 finished -> first worker of stage i started; wall, us/stage (wall / stages run) and pipelines/s: median round)",
    renderTable(
      [
        "subject",
        "transitions",
        "p50 us",
        "p99 us",
        "max us",
        "wall ms",
        "us/stage",
        "pipelines/s",
      ],
      [
        row("ottoscaler engine (MemoryExecutor)", r.engine),
        row("baseline (bare p-queue chains)", r.pQueue),
        [
          "ratio engine/p-queue",
          "",
          ratio(r.ratios.p50),
          ratio(r.ratios.p99),
          ratio(r.ratios.max),
          ratio(r.ratios.wall),
          ratio(r.ratios.wall),
          ratio(r.engine.chainsPerSecond / r.pQueue.chainsPerSecond),
        ],
      ],
    ),
  ].join("\n");
}

async function main(): Promise<void> {
  const options: BenchOptions = readOptions();
  const env = environment();
  const began = performance.now();
  console.log(
    `Ottoscaler benchmarks: Node ${env.node}, ${env.platform}, ${env.cpus} x ${env.cpuModel}`,
  );
  console.log(describeOptions(options).join(" "));

  let grpcUnary: GrpcUnaryResult | undefined;
  let engineTransitions: EngineTransitionsResult | undefined;
  if (options.only !== "engine") {
    grpcUnary = await runGrpcUnaryBench(options, progress);
    console.log(`\n${grpcReport(grpcUnary)}`);
  }
  if (options.only !== "grpc") {
    engineTransitions = await runEngineTransitionsBench(options, progress);
    console.log(`\n${engineReport(engineTransitions)}`);
  }

  const totalSeconds = (performance.now() - began) / 1000;
  await mkdir(resultsDir, { recursive: true });
  const json = {
    finishedAt: new Date().toISOString(),
    environment: env,
    options,
    totalSeconds,
    ...(grpcUnary !== undefined && { grpcUnary }),
    ...(engineTransitions !== undefined && { engineTransitions }),
  };
  // Microsecond precision is plenty; integers stay as they are.
  const rounded = (_key: string, value: unknown) =>
    typeof value === "number" && !Number.isInteger(value) ? Number(value.toFixed(3)) : value;
  await writeFile(resultsFile, `${JSON.stringify(json, rounded, 2)}\n`);
  console.log(
    `\nTotal ${totalSeconds.toFixed(1)} s; results written to ${fileURLToPath(resultsFile)}`,
  );
}

await main();

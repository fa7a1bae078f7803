import { type Env, type Knob, knobValue } from "./knob.ts";

/** Benchmark sizes, read from BENCH_* environment variables. */
export interface BenchOptions {
  /** Which benchmarks to run: "all", "grpc" or "engine". */
  only: "all" | "grpc" | "engine";
  /** Workers listed by every GetWorkerStatus response. */
  workers: number;
  /** Unmeasured calls per server before the first round. */
  warmupCalls: number;
  /** Measured latency calls per server, spread over the rounds. */
  latencyCalls: number;
  latencyConcurrency: number;
  /** Measured throughput calls per server, spread over the rounds. */
  throughputCalls: number;
  throughputConcurrency: number;
  /** Rounds alternating the two servers (A B, then B A, ...). */
  rounds: number;
  /** Pipelines in flight at once in one engine round. */
  pipelines: number;
  /** Stages per chain pipeline. */
  stages: number;
  /** Measured engine rounds (each also runs the p-queue baseline). */
  engineRounds: number;
  /** Pipelines in the unmeasured warm-up round of the engine and of p-queue. */
  engineWarmupPipelines: number;
}

const knobs = {
  workers: { env: "BENCH_WORKERS", default: 10, min: 0 },
  warmupCalls: { env: "BENCH_WARMUP_CALLS", default: 2_000, min: 0 },
  latencyCalls: { env: "BENCH_CALLS", default: 10_000, min: 1 },
  latencyConcurrency: { env: "BENCH_LATENCY_CONCURRENCY", default: 1, min: 1 },
  throughputCalls: { env: "BENCH_THROUGHPUT_CALLS", default: 20_000, min: 1 },
  throughputConcurrency: { env: "BENCH_CONCURRENCY", default: 32, min: 1 },
  rounds: { env: "BENCH_ROUNDS", default: 4, min: 1 },
  pipelines: { env: "BENCH_PIPELINES", default: 1_000, min: 1 },
  stages: { env: "BENCH_STAGES", default: 10, min: 2 },
  engineRounds: { env: "BENCH_ENGINE_ROUNDS", default: 3, min: 1 },
  engineWarmupPipelines: { env: "BENCH_ENGINE_WARMUP_PIPELINES", default: 200, min: 0 },
} satisfies Record<Exclude<keyof BenchOptions, "only">, Knob>;

function only(env: Env): BenchOptions["only"] {
  const text = (env.BENCH_ONLY ?? "").trim() || "all";
  if (text === "all" || text === "grpc" || text === "engine") return text;
  throw new Error(`BENCH_ONLY: "${text}" is not one of all, grpc, engine`);
}

export function readOptions(env: Env = process.env): BenchOptions {
  return {
    only: only(env),
    workers: knobValue(env, knobs.workers),
    warmupCalls: knobValue(env, knobs.warmupCalls),
    latencyCalls: knobValue(env, knobs.latencyCalls),
    latencyConcurrency: knobValue(env, knobs.latencyConcurrency),
    throughputCalls: knobValue(env, knobs.throughputCalls),
    throughputConcurrency: knobValue(env, knobs.throughputConcurrency),
    rounds: knobValue(env, knobs.rounds),
    pipelines: knobValue(env, knobs.pipelines),
    stages: knobValue(env, knobs.stages),
    engineRounds: knobValue(env, knobs.engineRounds),
    engineWarmupPipelines: knobValue(env, knobs.engineWarmupPipelines),
  };
}

/** The variables and their values, for the report header. */
export function describeOptions(options: BenchOptions): string[] {
  const lines = [`BENCH_ONLY=${options.only}`];
  for (const [key, knob] of Object.entries(knobs)) {
    lines.push(`${knob.env}=${options[key as keyof typeof knobs]}`);
  }
  return lines;
}

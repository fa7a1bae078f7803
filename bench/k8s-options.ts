import { type Env, type Knob, knobValue } from "./knob.ts";

/** Sizes of the real-cluster benchmark, read from BENCH_K8S_* environment variables. */
export interface K8sBenchOptions {
  /** Which benchmarks to run: "all", "scale" or "chain". */
  only: "all" | "scale" | "chain";
  /** Measured rounds; each runs both sides, alternating which goes first. */
  rounds: number;
  /** Workers (pods) of the ScaleUp benchmark. */
  workers: number;
  /** Stages of the chain pipeline. */
  stages: number;
  /** Longest any one measurement may take before it counts as failed. */
  timeoutSeconds: number;
}

const knobs = {
  rounds: { env: "BENCH_K8S_ROUNDS", default: 3, min: 1 },
  workers: { env: "BENCH_K8S_WORKERS", default: 10, min: 1 },
  stages: { env: "BENCH_K8S_STAGES", default: 5, min: 1 },
  timeoutSeconds: { env: "BENCH_K8S_TIMEOUT_SECONDS", default: 120, min: 10 },
} satisfies Record<Exclude<keyof K8sBenchOptions, "only">, Knob>;

function only(env: Env): K8sBenchOptions["only"] {
  const text = (env.BENCH_K8S_ONLY ?? "").trim() || "all";
  if (text === "all" || text === "scale" || text === "chain") return text;
  throw new Error(`BENCH_K8S_ONLY: "${text}" is not one of all, scale, chain`);
}

export function readK8sOptions(env: Env = process.env): K8sBenchOptions {
  return {
    only: only(env),
    rounds: knobValue(env, knobs.rounds),
    workers: knobValue(env, knobs.workers),
    stages: knobValue(env, knobs.stages),
    timeoutSeconds: knobValue(env, knobs.timeoutSeconds),
  };
}

/** The variables and their values, for the report header. */
export function describeK8sOptions(options: K8sBenchOptions): string[] {
  const lines = [`BENCH_K8S_ONLY=${options.only}`];
  for (const [key, knob] of Object.entries(knobs)) {
    lines.push(`${knob.env}=${options[key as keyof typeof knobs]}`);
  }
  return lines;
}

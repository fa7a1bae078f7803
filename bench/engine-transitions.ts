import PQueue from "p-queue";
import { PipelineStatus } from "../gen/ottoscaler/v1/pipeline_pb.js";
import { createApp } from "../server/app.ts";
import { loadConfig } from "../server/config/config.ts";
import type { PipelineSpec, StageSpec } from "../server/engine/pipeline-spec.ts";
import { defaultResources, type WorkerSpec } from "../server/executor/executor.ts";
import { MemoryExecutor } from "../server/executor/memory/memory-executor.ts";
import { silentLogger } from "../server/observability/logger.ts";
import { tempDataDir } from "../server/testing/data-dir.ts";
import type { BenchOptions } from "./options.ts";
import { median, type Summary, summarize } from "./stats.ts";
import { TransitionRecorder } from "./transition-recorder.ts";

/** Workers running at once: the engine's cap and the p-queue baseline's concurrency. */
const maxWorkers = 10_000;

export interface RoundResult {
  chains: number;
  steps: number;
  /** One per hand-off, in microseconds. */
  transitionsUs: number[];
  wallMs: number;
}

export interface SubjectResult {
  rounds: number;
  chains: number;
  steps: number;
  /** All hand-offs of all measured rounds, in microseconds. */
  transitionUs: Summary;
  /** Each measured round: its wall time in milliseconds and its hand-offs. */
  perRound: { wallMs: number; transitions: number }[];
  medianWallMs: number;
  /** Chains (pipelines) per second, from the median wall time. */
  chainsPerSecond: number;
  /** Median wall time over all steps (stages) of the round, in microseconds: the amortized cost. */
  wallUsPerStep: number;
}

export interface EngineTransitionsResult {
  engine: SubjectResult;
  pQueue: SubjectResult;
  /** engine / p-queue: above 1 means the engine takes longer. */
  ratios: { p50: number; p99: number; max: number; wall: number };
}

type Progress = (line: string) => void;

const stageId = (step: number) => `s${step}`;

function chainSpec(pipelineId: string, steps: number): PipelineSpec {
  const stages: StageSpec[] = Array.from({ length: steps }, (_, step) => ({
    id: stageId(step),
    name: `step ${step}`,
    image: "busybox:1.36",
    command: ["true"],
    env: {},
    dependsOn: step === 0 ? [] : [stageId(step - 1)],
    workers: 1,
    retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 },
    timeoutMs: 3_600_000,
    resources: defaultResources,
  }));
  return { pipelineId, name: pipelineId, stages };
}

function stepOf(spec: WorkerSpec): number {
  return Number((spec.stageId ?? "").slice(1));
}

/**
 * `chains` chain pipelines of `steps` one-worker stages, all started at once
 * on an engine whose simulated workers finish at once.
 */
export async function runEngineRound(
  chains: number,
  steps: number,
  label: string,
): Promise<RoundResult> {
  const recorder = new TransitionRecorder();
  const executor = new MemoryExecutor();
  executor.onFinish = (spec) => recorder.finished(spec.pipelineId ?? "", stepOf(spec));
  executor.onStart = (spec) => recorder.started(spec.pipelineId ?? "", stepOf(spec));
  const config = loadConfig({
    OTTOSCALER_DATA_DIR: tempDataDir(),
    OTTOSCALER_PORT: "0",
    OTTOSCALER_HOST: "127.0.0.1",
    OTTOSCALER_MAX_WORKERS: String(maxWorkers),
    OTTOSCALER_MAX_ACTIVE_PIPELINES: String(Math.max(1_000, chains)),
  });
  const app = createApp(config, { executor, logger: silentLogger });
  try {
    const specs = Array.from({ length: chains }, (_, i) => chainSpec(`${label}-p${i}`, steps));
    const started = performance.now();
    const runs = await Promise.all(specs.map((spec) => app.engine.start(spec)));
    const statuses = await Promise.all(runs.map((run) => run.done));
    const wallMs = performance.now() - started;
    const failed = statuses.filter((s) => s !== PipelineStatus.SUCCEEDED).length;
    if (failed > 0) throw new Error(`${failed} of ${chains} benchmark pipelines did not succeed`);
    return { chains, steps, transitionsUs: recorder.samplesUs, wallMs };
  } finally {
    await app.shutdown("benchmark finished");
  }
}

/** The same chains as bare p-queue tasks: each awaits the previous one. */
export async function runPQueueRound(
  chains: number,
  steps: number,
  label: string,
): Promise<RoundResult> {
  const recorder = new TransitionRecorder();
  const queue = new PQueue({ concurrency: maxWorkers });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: chains }, async (_, i) => {
      const chain = `${label}-p${i}`;
      for (let step = 0; step < steps; step++) {
        await queue.add(async () => {
          recorder.started(chain, step);
          recorder.finished(chain, step);
        });
      }
    }),
  );
  const wallMs = performance.now() - started;
  return { chains, steps, transitionsUs: recorder.samplesUs, wallMs };
}

function subjectResult(rounds: RoundResult[]): SubjectResult {
  const wallMs = rounds.map((r) => r.wallMs);
  const medianWallMs = median(wallMs);
  const chains = rounds[0]?.chains ?? 0;
  return {
    rounds: rounds.length,
    chains,
    steps: rounds[0]?.steps ?? 0,
    transitionUs: summarize(rounds.flatMap((r) => r.transitionsUs)),
    perRound: rounds.map((r) => ({ wallMs: r.wallMs, transitions: r.transitionsUs.length })),
    medianWallMs,
    chainsPerSecond: chains / (medianWallMs / 1000),
    wallUsPerStep: (medianWallMs * 1000) / (chains * (rounds[0]?.steps ?? 0)),
  };
}

/**
 * Stage-transition overhead of the pipeline engine: from a stage's last
 * worker finishing to its dependent's first worker starting, with every
 * pipeline in flight at once; and the same hand-off through bare p-queue.
 */
export async function runEngineTransitionsBench(
  options: BenchOptions,
  progress: Progress,
): Promise<EngineTransitionsResult> {
  const { pipelines, stages } = options;
  progress(
    `engine: ${pipelines} chain pipelines x ${stages} stages, ${options.engineRounds} round(s)`,
  );
  if (options.engineWarmupPipelines > 0) {
    progress(`  warm-up: ${options.engineWarmupPipelines} pipelines on each`);
    await runEngineRound(options.engineWarmupPipelines, stages, "warm");
    await runPQueueRound(options.engineWarmupPipelines, stages, "warm");
  }
  const engine: RoundResult[] = [];
  const pQueue: RoundResult[] = [];
  for (let round = 0; round < options.engineRounds; round++) {
    const label = `r${round}`;
    const subjects = [
      ["engine", () => runEngineRound(pipelines, stages, label), engine],
      ["p-queue", () => runPQueueRound(pipelines, stages, label), pQueue],
    ] as const;
    for (const [name, runRound, into] of round % 2 === 0 ? subjects : [...subjects].reverse()) {
      const result = await runRound();
      into.push(result);
      progress(
        `  round ${round + 1}/${options.engineRounds} ${name.padEnd(8)} ${result.wallMs.toFixed(1)} ms wall, ${result.transitionsUs.length} transitions`,
      );
    }
  }
  const e = subjectResult(engine);
  const q = subjectResult(pQueue);
  return {
    engine: e,
    pQueue: q,
    ratios: {
      p50: e.transitionUs.p50 / q.transitionUs.p50,
      p99: e.transitionUs.p99 / q.transitionUs.p99,
      max: e.transitionUs.max / q.transitionUs.max,
      wall: e.medianWallMs / q.medianWallMs,
    },
  };
}

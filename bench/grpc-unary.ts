import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { create, toBinary } from "@bufbuild/protobuf";
import { WorkerPhase, WorkerStatusResponseSchema } from "../gen/ottoscaler/v1/worker_pb.js";
import { createApp } from "../server/app.ts";
import { loadConfig } from "../server/config/config.ts";
import { defaultResources } from "../server/executor/executor.ts";
import { MemoryExecutor } from "../server/executor/memory/memory-executor.ts";
import { startServer } from "../server/http/server.ts";
import { silentLogger } from "../server/observability/logger.ts";
import { tempDataDir } from "../server/testing/data-dir.ts";
import { startBaselineServer } from "./baseline-grpc-server.ts";
import type { RunReply, RunRequest, WorkerMessage } from "./grpc-client-worker.ts";
import type { BenchOptions } from "./options.ts";
import { getWorkerStatusMethod, loadOttoscalerDefinition } from "./proto.ts";
import { concat, type Summary, summarize } from "./stats.ts";

export type TargetName = "ottoscaler" | "grpc-js";

export interface PhaseResult {
  calls: number;
  concurrency: number;
  /** Per-call latency over all rounds, in milliseconds. */
  latencyMs: Summary;
  /** All calls over the summed time of the rounds. */
  throughputRps: number;
  rounds: {
    calls: number;
    elapsedMs: number;
    throughputRps: number;
    p50Ms: number;
    p99Ms: number;
  }[];
}

export interface TargetResult {
  name: TargetName;
  address: string;
  latency: PhaseResult;
  throughput: PhaseResult;
}

export interface GrpcUnaryResult {
  workers: number;
  /** Serialized WorkerStatusResponse size, to show both servers send the same. */
  responseBytes: Record<TargetName, number>;
  targets: Record<TargetName, TargetResult>;
  /** ottoscaler / grpc-js: above 1 for latency, below 1 for throughput, means ours is slower. */
  ratios: {
    latencyP50: number;
    latencyP99: number;
    latencyThroughput: number;
    throughput: number;
    throughputP50: number;
    throughputP99: number;
  };
}

type Progress = (line: string) => void;

/** The benchmark client in its own process, driven over IPC. */
class ClientProcess {
  readonly #child: ChildProcess;
  readonly #pending = new Map<
    number,
    { resolve: (reply: RunReply) => void; reject: (error: Error) => void }
  >();
  #nextId = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on("message", (message: WorkerMessage) => {
      if (message.type === "ready") return;
      this.#pending.get(message.id)?.resolve(message);
      this.#pending.delete(message.id);
    });
    child.on("exit", (code, signal) => {
      const error = new Error(`benchmark client exited (code ${code}, signal ${signal})`);
      for (const { reject } of this.#pending.values()) reject(error);
      this.#pending.clear();
    });
  }

  static async start(): Promise<ClientProcess> {
    const child = fork(new URL("./grpc-client-worker.ts", import.meta.url), [], {
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const ready = new Promise<void>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code) =>
        reject(new Error(`benchmark client exited early (code ${code})`)),
      );
      child.on("message", (m: WorkerMessage) => m.type === "ready" && resolve());
    });
    await ready;
    child.removeAllListeners("exit");
    child.removeAllListeners("error");
    return new ClientProcess(child);
  }

  async run(address: string, calls: number, concurrency: number) {
    const id = this.#nextId++;
    const reply = new Promise<RunReply>((resolve, reject) =>
      this.#pending.set(id, { resolve, reject }),
    );
    const request: RunRequest = { type: "run", id, address, calls, concurrency };
    this.#child.send(request);
    const result = await reply;
    if (result.type === "error") throw new Error(`benchmark client: ${result.message}`);
    return result;
  }

  async stop(): Promise<void> {
    const exited = once(this.#child, "exit");
    this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill(), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

function split(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0),
  );
}

function phaseResult(
  concurrency: number,
  rounds: { latenciesMs: Float64Array; elapsedMs: number }[],
): PhaseResult {
  const all = concat(rounds.map((r) => r.latenciesMs));
  const elapsedMs = rounds.reduce((n, r) => n + r.elapsedMs, 0);
  return {
    calls: all.length,
    concurrency,
    latencyMs: summarize(all),
    throughputRps: all.length / (elapsedMs / 1000),
    rounds: rounds.map((r) => {
      const s = summarize(r.latenciesMs);
      return {
        calls: r.latenciesMs.length,
        elapsedMs: r.elapsedMs,
        throughputRps: r.latenciesMs.length / (r.elapsedMs / 1000),
        p50Ms: s.p50,
        p99Ms: s.p99,
      };
    }),
  };
}

/** Waits until every worker the executor was given is RUNNING. */
async function untilRunning(list: () => { phase: WorkerPhase }[], count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (list().filter((w) => w.phase === WorkerPhase.RUNNING).length < count) {
    if (Date.now() > deadline) throw new Error(`${count} simulated workers did not all start`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Unary GetWorkerStatus over gRPC: our server against a plain @grpc/grpc-js
 * server for the same proto, both answering with the same workers, driven by
 * the same @grpc/grpc-js client in a child process.
 */
export async function runGrpcUnaryBench(
  options: BenchOptions,
  progress: Progress,
): Promise<GrpcUnaryResult> {
  // Ours: simulated workers that run until stopped, so no processes.
  const executor = new MemoryExecutor(() => ({ durationMs: Number.POSITIVE_INFINITY }));
  const config = loadConfig({
    OTTOSCALER_DATA_DIR: tempDataDir(),
    OTTOSCALER_PORT: "0",
    OTTOSCALER_HOST: "127.0.0.1",
    OTTOSCALER_MAX_WORKERS: String(Math.max(100, options.workers)),
  });
  const app = createApp(config, { executor, logger: silentLogger });
  const server = await startServer(app);
  const cleanups: (() => Promise<void>)[] = [
    () => app.shutdown("benchmark finished"),
    () => server.close(),
  ];
  try {
    if (options.workers > 0) {
      await app.tasks.scaleUp(
        {
          taskId: "bench",
          image: config.defaultImage,
          command: ["sleep", "3600"],
          env: {},
          resources: defaultResources,
        },
        options.workers,
      );
    }
    await untilRunning(() => app.registry.list(), options.workers);
    const ours = toBinary(
      WorkerStatusResponseSchema,
      create(WorkerStatusResponseSchema, { workers: app.registry.list() }),
    );

    // Baseline: the very same workers, decoded by proto-loader into its plain objects.
    const definition = loadOttoscalerDefinition();
    const method = getWorkerStatusMethod(definition);
    const baselineResponse = method.responseDeserialize(Buffer.from(ours));
    const baseline = await startBaselineServer(definition, baselineResponse);
    cleanups.unshift(() => baseline.close());
    const responseBytes = {
      ottoscaler: ours.length,
      "grpc-js": method.responseSerialize(baselineResponse).length,
    };

    const addresses: Record<TargetName, string> = {
      ottoscaler: `127.0.0.1:${server.port}`,
      "grpc-js": baseline.address,
    };
    const client = await ClientProcess.start();
    cleanups.unshift(() => client.stop());
    const names: TargetName[] = ["ottoscaler", "grpc-js"];

    const check = (name: TargetName, workers: number) => {
      if (workers !== options.workers) {
        throw new Error(`${name} answered with ${workers} workers, expected ${options.workers}`);
      }
    };

    progress(
      `gRPC unary: ${options.workers} workers per response (${responseBytes.ottoscaler} vs ${responseBytes["grpc-js"]} bytes); ours ${addresses.ottoscaler}, grpc-js ${addresses["grpc-js"]}`,
    );
    for (const name of names) {
      if (options.warmupCalls === 0) break;
      progress(
        `  warm-up ${name}: ${options.warmupCalls} calls at concurrency ${options.throughputConcurrency}`,
      );
      check(
        name,
        (await client.run(addresses[name], options.warmupCalls, options.throughputConcurrency))
          .workers,
      );
    }

    type Sample = { latenciesMs: Float64Array; elapsedMs: number };
    const samples: Record<TargetName, { latency: Sample[]; throughput: Sample[] }> = {
      ottoscaler: { latency: [], throughput: [] },
      "grpc-js": { latency: [], throughput: [] },
    };
    const latencyCalls = split(options.latencyCalls, options.rounds);
    const throughputCalls = split(options.throughputCalls, options.rounds);
    for (let round = 0; round < options.rounds; round++) {
      // A B, then B A: neither server always goes first.
      const order = round % 2 === 0 ? names : [...names].reverse();
      const phases = [
        ["latency", latencyCalls[round] ?? 0, options.latencyConcurrency],
        ["throughput", throughputCalls[round] ?? 0, options.throughputConcurrency],
      ] as const;
      for (const [phase, calls, concurrency] of phases) {
        for (const name of order) {
          if (calls === 0) continue;
          const result = await client.run(addresses[name], calls, concurrency);
          check(name, result.workers);
          samples[name][phase].push(result);
          progress(
            `  round ${round + 1}/${options.rounds} ${phase.padEnd(10)} ${name.padEnd(10)} ${calls} calls, c=${concurrency}: ${(calls / (result.elapsedMs / 1000)).toFixed(0)} req/s`,
          );
        }
      }
    }

    const targets = {} as Record<TargetName, TargetResult>;
    for (const name of names) {
      targets[name] = {
        name,
        address: addresses[name],
        latency: phaseResult(options.latencyConcurrency, samples[name].latency),
        throughput: phaseResult(options.throughputConcurrency, samples[name].throughput),
      };
    }
    const a = targets.ottoscaler;
    const b = targets["grpc-js"];
    return {
      workers: options.workers,
      responseBytes,
      targets,
      ratios: {
        latencyP50: a.latency.latencyMs.p50 / b.latency.latencyMs.p50,
        latencyP99: a.latency.latencyMs.p99 / b.latency.latencyMs.p99,
        latencyThroughput: a.latency.throughputRps / b.latency.throughputRps,
        throughput: a.throughput.throughputRps / b.throughput.throughputRps,
        throughputP50: a.throughput.latencyMs.p50 / b.throughput.latencyMs.p50,
        throughputP99: a.throughput.latencyMs.p99 / b.throughput.latencyMs.p99,
      },
    };
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}

import {
  PipelineEngine,
  type PipelineEngineOptions,
  type PipelineRunStore,
} from "../engine/pipeline-engine.ts";
import type { StageSpec } from "../engine/pipeline-spec.ts";
import { defaultResources } from "../executor/executor.ts";
import { MemoryExecutor, type WorkerScript } from "../executor/memory/memory-executor.ts";
import { BuildRecorder } from "../logs/build-recorder.ts";
import { FollowerCache } from "../logs/follower-cache.ts";
import { LogReader } from "../logs/log-reads.ts";
import { PipelineArchive } from "../logs/pipeline-archive.ts";
import { BuildStore } from "../logs/store/build-store.ts";
import { silentLogger } from "../observability/logger.ts";
import { WorkerRegistry } from "../workers/worker-registry.ts";
import { WorkerRunner } from "../workers/worker-runner.ts";
import { WorkerSlots } from "../workers/worker-slots.ts";
import { tempDataDir } from "./data-dir.ts";

export interface EngineOnOptions extends Partial<PipelineEngineOptions> {
  /** @default 100 */
  maxWorkers?: number;
  /** The data directory (a fresh one by default): another engine on it is a restarted controller. */
  dataDir?: string;
  store?: PipelineRunStore;
}

/** An engine on its own dependencies, without the app: workers in memory, logs on disk. */
export async function engineOn(
  script: WorkerScript,
  { maxWorkers = 100, dataDir = tempDataDir(), store, ...options }: EngineOnOptions = {},
) {
  const executor = new MemoryExecutor(script);
  const builds = new BuildStore(dataDir, silentLogger);
  await builds.load();
  const registry = new WorkerRegistry();
  const followers = new FollowerCache({ maxLinesPerWorker: 100, maxLinesPerBuild: 100 });
  const recorder = new BuildRecorder(builds);
  const logger = silentLogger;
  const slots = new WorkerSlots(maxWorkers);
  const runner = new WorkerRunner({ executor, slots, registry, recorder, followers, logger });
  const archive = new PipelineArchive(builds);
  const engine = new PipelineEngine(
    { maxActivePipelines: 1000, retainPipelines: 100, keepWorkspaces: false, ...options },
    {
      runner,
      executor,
      registry,
      recorder,
      followers,
      history: archive,
      logger,
      ...(store !== undefined && { store }),
    },
  );
  return {
    engine,
    executor,
    registry,
    followers,
    archive,
    builds,
    logs: new LogReader(followers, builds),
  };
}

/** A one-worker busybox stage that runs `true`, with `extra` over it. */
export function stageSpec(id: string, extra: Partial<StageSpec> = {}): StageSpec {
  return {
    id,
    name: id,
    image: "busybox",
    command: ["true"],
    env: {},
    dependsOn: [],
    workers: 1,
    retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 },
    timeoutMs: 60_000,
    resources: defaultResources,
    ...extra,
  };
}

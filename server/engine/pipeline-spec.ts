import type { SecretEnv, WorkerResources } from "../executor/executor.ts";
import type { Combination } from "./matrix.ts";
import type { ParamSpec } from "./params.ts";
import type { StageWhen } from "./stage-when.ts";

/** A stage after validation, with every default applied. */
export interface StageSpec {
  id: string;
  name: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  secretEnv?: SecretEnv[];
  dependsOn: string[];
  workers: number;
  retry: StageRetryPolicy;
  timeoutMs: number;
  resources: WorkerResources;
  /** When it runs; absent: success() in `stages`, always() in `finally`. */
  when?: StageWhen;
  /** Runs as one stage per combination; its fields still hold `${{ matrix.KEY }}`. */
  matrix?: StageMatrix;
}

export interface StageMatrix {
  combinations: Combination[];
  /** At most this many instances at once; 0: no limit. */
  maxParallel: number;
}

export interface StageRetryPolicy {
  /** Attempts in all, at least 1. */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

/** A pipeline the engine can run: validated, acyclic, ids unique. */
export interface PipelineSpec {
  pipelineId: string;
  name: string;
  stages: StageSpec[];
  /** Run once every stage of `stages` has ended, whatever the outcome. */
  finally?: StageSpec[];
  /** Its parameters, with this run's value of each (references are already expanded). */
  params?: ParamSpec[];
  paramValues?: Record<string, string>;
  /** From when it starts running: then its stages are stopped and it ends FAILED. */
  timeoutMs?: number;
  /** The W3C traceparent of the request that started it: its workers see it as TRACEPARENT. */
  traceparent?: string;
}

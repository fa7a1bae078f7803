import type { SecretEnv, WorkerResources } from "../executor/executor.ts";

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
  /** The W3C traceparent of the request that started it: its workers see it as TRACEPARENT. */
  traceparent?: string;
}

import type { WorkerSpec } from "../executor.ts";

/**
 * The environment of a local worker: the server's own (so PATH and HOME work),
 * without Ottoscaler's settings, then the stage's env, then the variables
 * Ottoscaler promises every worker, which a stage cannot override.
 */
export function createWorkerEnv(
  spec: WorkerSpec,
  inherited: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(inherited)) {
    if (value !== undefined && !key.startsWith("OTTOSCALER_")) env[key] = value;
  }
  Object.assign(env, spec.env);
  env.OTTOSCALER_WORKER_ID = spec.workerId;
  env.OTTOSCALER_WORKER_INDEX = String(spec.index);
  env.OTTOSCALER_WORKER_COUNT = String(spec.count);
  if (spec.pipelineId !== undefined) env.OTTOSCALER_PIPELINE_ID = spec.pipelineId;
  if (spec.stageId !== undefined) env.OTTOSCALER_STAGE_ID = spec.stageId;
  if (spec.attempt !== undefined) env.OTTOSCALER_ATTEMPT = String(spec.attempt);
  if (spec.taskId !== undefined) env.OTTOSCALER_TASK_ID = spec.taskId;
  if (spec.workspace !== undefined) env.OTTOSCALER_WORKSPACE = spec.workspace;
  return env;
}

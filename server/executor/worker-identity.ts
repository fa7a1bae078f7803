import type { WorkerSpec } from "./executor.ts";

/**
 * The variables every worker gets, whatever runs it; they come after the
 * stage's own env, so a stage cannot override them.
 */
export function workerIdentityEnv(
  spec: WorkerSpec,
  workspace: string | undefined,
): Record<string, string> {
  const env: Record<string, string> = {
    OTTOSCALER_WORKER_ID: spec.workerId,
    OTTOSCALER_WORKER_INDEX: String(spec.index),
    OTTOSCALER_WORKER_COUNT: String(spec.count),
  };
  if (spec.pipelineId !== undefined) env.OTTOSCALER_PIPELINE_ID = spec.pipelineId;
  if (spec.stageId !== undefined) env.OTTOSCALER_STAGE_ID = spec.stageId;
  if (spec.attempt !== undefined) env.OTTOSCALER_ATTEMPT = String(spec.attempt);
  if (spec.taskId !== undefined) env.OTTOSCALER_TASK_ID = spec.taskId;
  if (workspace !== undefined) env.OTTOSCALER_WORKSPACE = workspace;
  return env;
}

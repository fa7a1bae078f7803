import type { WorkerSpec } from "../executor.ts";
import { workerIdentityEnv } from "../worker-identity.ts";

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
  Object.assign(env, spec.env, workerIdentityEnv(spec, spec.workspace));
  return env;
}

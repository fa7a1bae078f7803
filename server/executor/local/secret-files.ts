import { readFileSync } from "node:fs";
import path from "node:path";
import type { SecretEnv } from "../executor.ts";

/**
 * The local executor's Secrets: `<dir>/<secret name>/<key>`, a file each, the way a Secret
 * volume lays them out. Validation has kept names and keys to Kubernetes' characters, so
 * neither can climb out of the directory. Read at each worker's start, never stored.
 */
export function readSecretEnv(refs: readonly SecretEnv[], dir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ref of refs) {
    if (dir === "") {
      throw new Error(
        `secret "${ref.secretName}": the local executor has no OTTOSCALER_LOCAL_SECRETS_DIR`,
      );
    }
    const file = path.join(dir, ref.secretName, ref.key);
    if (path.relative(dir, file).startsWith(".."))
      throw new Error(`secret "${ref.secretName}": bad key`);
    try {
      env[ref.name] = readFileSync(file, "utf8");
    } catch (error) {
      throw new Error(
        `secret "${ref.secretName}" key "${ref.key}": cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
  }
  return env;
}

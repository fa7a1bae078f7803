import type { HandlerContext } from "@connectrpc/connect";
import type { Authenticator } from "../auth/authenticator.ts";
import { identityKey } from "../auth/identity.ts";
import { OttoscalerError } from "../domain/errors.ts";
import type { SecretEnv } from "../executor/executor.ts";

/**
 * A secretKeyRef would let any caller mount any Secret of the workers'
 * namespace into a worker, so each one is checked for this caller (in
 * kubernetes mode: may they `get` that Secret?) before anything runs.
 */
export async function checkSecretAccess(
  auth: Authenticator,
  ctx: HandlerContext,
  refs: readonly { field: string; secretEnv: readonly SecretEnv[] | undefined }[],
): Promise<void> {
  const identity = ctx.values.get(identityKey);
  for (const { field, secretEnv } of refs) {
    for (const [i, ref] of (secretEnv ?? []).entries()) {
      if (identity !== undefined && (await auth.maySeeSecret(identity, ref.secretName))) continue;
      throw new OttoscalerError(
        "permission-denied",
        `${field}[${i}].secretKeyRef.name: "${identity?.user ?? "anonymous"}" may not get Secret "${ref.secretName}"`,
      );
    }
  }
}

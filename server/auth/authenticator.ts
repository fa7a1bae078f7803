import { OttoscalerError } from "../domain/errors.ts";
import type { AccessRule } from "./access-rules.ts";
import type { Identity, Peer } from "./identity.ts";
import { roleAllows } from "./roles.ts";

/** What a request says about its caller. */
export interface Credentials {
  /** The Authorization header, if any. */
  authorization: string | null;
  peer: Peer;
}

/** One authentication mode: who is calling, and may they. */
export interface Authenticator {
  readonly mode: Identity["via"];
  /** The caller, or an "unauthenticated" error saying what is wrong with the credentials. */
  authenticate(credentials: Credentials): Promise<Identity>;
  /** Resolves when the caller may call `method`; else a "permission-denied" error. */
  authorize(identity: Identity, rule: AccessRule, method: string): Promise<void>;
  /**
   * May this caller have a worker see Secret `name` (a secretKeyRef)? Kubernetes mode asks
   * whether it may `get` it; the role modes take admins only; no authentication, anyone.
   */
  maySeeSecret(identity: Identity, name: string): Promise<boolean>;
  close(): void;
}

/** Authorization by role, for the modes whose identities carry one (tokens, mtls). */
export async function authorizeByRole(
  identity: Identity,
  rule: AccessRule,
  method: string,
): Promise<void> {
  if (identity.role !== undefined && roleAllows(identity.role, rule.role)) return;
  const who =
    identity.role === undefined
      ? `"${identity.user}" (no role)`
      : `${identity.role} "${identity.user}"`;
  throw new OttoscalerError(
    "permission-denied",
    `${who} may not call ${method}: it takes the ${rule.role} role`,
  );
}

/** The role modes: secrets are an admin's. */
export async function adminSeesSecrets(identity: Identity): Promise<boolean> {
  return identity.role === "admin";
}

/** Anyone is an admin: the default, listening on loopback only (see http/exposure.ts). */
export const noAuthentication: Authenticator = {
  mode: "none",
  authenticate: async () => ({ user: "anonymous", groups: [], role: "admin", via: "none" }),
  authorize: async () => {},
  maySeeSecret: async () => true,
  close() {},
};

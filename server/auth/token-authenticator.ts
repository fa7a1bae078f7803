import type { Logger } from "../observability/logger.ts";
import type { Authenticator } from "./authenticator.ts";
import { adminSeesSecrets, authorizeByRole } from "./authenticator.ts";
import { requireBearerToken } from "./bearer.ts";
import { TokenStore } from "./token-store.ts";

/** `tokens` mode: a bearer token from the tokens file, authorized by its role. */
export function tokenAuthenticator(
  file: string,
  logger: Logger,
): Authenticator & { store: TokenStore } {
  const store = new TokenStore(file, logger);
  return {
    mode: "tokens",
    store,
    async authenticate({ authorization }) {
      const token = requireBearerToken(authorization, "ottoctl --token or $OTTOSCALER_TOKEN");
      const entry = store.verify(token);
      return { user: entry.name, groups: [], role: entry.role, via: "tokens" };
    },
    authorize: authorizeByRole,
    maySeeSecret: adminSeesSecrets,
    close: () => store.close(),
  };
}

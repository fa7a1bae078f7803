import { ConfigError } from "../config/config.ts";
import type { Logger } from "../observability/logger.ts";
import { type Authenticator, noAuthentication } from "./authenticator.ts";
import { tokenAuthenticator } from "./token-authenticator.ts";

/** The authentication mode the settings ask for. */
export function createAuthenticator(
  config: { auth: "none" | "tokens"; tokensFile: string },
  logger: Logger,
): Authenticator {
  switch (config.auth) {
    case "none":
      return noAuthentication;
    case "tokens":
      if (config.tokensFile === "") {
        throw new ConfigError("OTTOSCALER_TOKENS_FILE: required with OTTOSCALER_AUTH=tokens");
      }
      return tokenAuthenticator(config.tokensFile, logger);
  }
}

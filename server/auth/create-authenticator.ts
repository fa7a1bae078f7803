import { ConfigError } from "../config/config.ts";
import type { Logger } from "../observability/logger.ts";
import { type Authenticator, noAuthentication } from "./authenticator.ts";
import { mtlsAuthenticator } from "./mtls-authenticator.ts";
import { tokenAuthenticator } from "./token-authenticator.ts";

/** The authentication mode the settings ask for. */
export function createAuthenticator(
  config: {
    auth: "none" | "tokens" | "mtls" | "kubernetes";
    tokensFile: string;
    tlsCertFile: string;
    tlsClientCaFile: string;
  },
  logger: Logger,
  /** kubernetes mode's reviews (app.ts makes them: auth does not reach the cluster itself). */
  kubernetes: () => Authenticator = () => {
    throw new ConfigError("OTTOSCALER_AUTH=kubernetes: no Kubernetes client");
  },
): Authenticator {
  switch (config.auth) {
    case "none":
      return noAuthentication;
    case "tokens":
      if (config.tokensFile === "") {
        throw new ConfigError("OTTOSCALER_TOKENS_FILE: required with OTTOSCALER_AUTH=tokens");
      }
      return tokenAuthenticator(config.tokensFile, logger);
    case "mtls":
      if (config.tlsCertFile === "") {
        throw new ConfigError("OTTOSCALER_TLS_CERT_FILE: required with OTTOSCALER_AUTH=mtls");
      }
      if (config.tlsClientCaFile === "") {
        throw new ConfigError("OTTOSCALER_TLS_CLIENT_CA_FILE: required with OTTOSCALER_AUTH=mtls");
      }
      return mtlsAuthenticator;
    case "kubernetes":
      return kubernetes();
  }
}

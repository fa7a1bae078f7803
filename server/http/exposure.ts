import net from "node:net";
import { ConfigError } from "../config/config.ts";

/** Addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return net.isIPv4(host) && host.startsWith("127.");
}

/**
 * Refuses to listen beyond this machine without authentication unless told
 * to explicitly: on a laptop an open port runs any command for the network.
 * Returns whether the server is exposed that way, for a warning at start.
 */
export function checkExposure(config: {
  host: string;
  auth: string;
  allowUnauthenticated: boolean;
}): { exposedWithoutAuth: boolean } {
  if (config.auth !== "none" || isLoopback(config.host)) return { exposedWithoutAuth: false };
  if (!config.allowUnauthenticated) {
    throw new ConfigError(
      `OTTOSCALER_HOST: "${config.host}" is not a loopback address and authentication is off; ` +
        "turn it on (OTTOSCALER_AUTH), or set OTTOSCALER_ALLOW_UNAUTHENTICATED=true to accept " +
        "that anyone who can reach the port runs any command",
    );
  }
  return { exposedWithoutAuth: true };
}

import { Code, ConnectError } from "@connectrpc/connect";

/** A mistake on the command line; ottoctl prints a hint to --help. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A problem ottoctl reports as is, such as an unreadable pipeline file. */
export class CliError extends Error {
  override name = "CliError";
}

/**
 * The text printed to stderr for an error: `error: [code] message` for errors from the
 * server or the connection, `error: message` for anything else.
 */
export function describeError(err: unknown, server: string): string {
  if (err instanceof UsageError || err instanceof CliError) {
    return `error: ${err.message}`;
  }
  if (err instanceof ConnectError) {
    const text = `error: ${err.message}`;
    if (err.code === Code.Unavailable || err.code === Code.Unimplemented) {
      return `${text}\n(is an Ottoscaler server listening at ${server}? Set it with --server URL or OTTOSCALER_SERVER, and the protocol with --protocol)`;
    }
    if (err.code === Code.Unauthenticated) {
      return `${text}\n(this server asks who you are: give a token with --token or OTTOSCALER_TOKEN, or a client certificate with --cert and --key)`;
    }
    return text;
  }
  if (err instanceof Error) {
    return `error: ${err.message}`;
  }
  return `error: ${String(err)}`;
}

import { readFileSync } from "node:fs";
import { commandNamed, type Invocation, type ParsedCommand, parseCli } from "./args.ts";
import { createClients } from "./clients.ts";
import type { Context } from "./context.ts";
import { CliError, describeError, UsageError } from "./errors.ts";
import { exitCodes } from "./exit-codes.ts";
import type { GlobalOptions } from "./global-options.ts";
import { createTransport, type TransportCredentials } from "./transport.ts";

interface Io {
  argv: readonly string[];
  env: Record<string, string | undefined>;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

function dispatch(ctx: Context, { name, ...args }: ParsedCommand): Promise<number> {
  const command = commandNamed(name);
  // parseCli only names listed commands.
  if (command === undefined) throw new Error(`no command "${name}" to run`);
  return command.run(ctx, args);
}

/** The token as given, and the contents of the CA and client certificate files. */
function credentials(globals: GlobalOptions): TransportCredentials {
  const read = (option: string, file: string | undefined) => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new CliError(`--${option}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const [ca, cert, key] = [
    read("ca", globals.ca),
    read("cert", globals.cert),
    read("key", globals.key),
  ];
  return {
    ...(globals.token !== undefined && { token: globals.token }),
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && key !== undefined && { cert, key }),
  };
}

/** Runs one ottoctl command line and returns its exit code; errors go to stderr. */
export async function runCli(io: Io): Promise<number> {
  let invocation: Invocation;
  try {
    invocation = parseCli(io.argv, io.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`error: ${err.message}\nRun \`ottoctl --help\` for usage.\n`);
    return exitCodes.error;
  }
  const { globals, command } = invocation;
  try {
    const ctx: Context = {
      globals,
      clients: createClients(
        createTransport(globals.protocol, globals.server, credentials(globals)),
      ),
      stdout: io.stdout,
      stderr: io.stderr,
    };
    return await dispatch(ctx, command);
  } catch (err) {
    io.stderr.write(`${describeError(err, globals.server)}\n`);
    return exitCodes.error;
  }
}

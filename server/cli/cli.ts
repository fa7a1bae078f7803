import { commandNamed, type Invocation, type ParsedCommand, parseCli } from "./args.ts";
import { createClients } from "./clients.ts";
import type { Context } from "./context.ts";
import { describeError, UsageError } from "./errors.ts";
import { exitCodes } from "./exit-codes.ts";
import { createTransport } from "./transport.ts";

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
  const ctx: Context = {
    globals,
    clients: createClients(createTransport(globals.protocol, globals.server)),
    stdout: io.stdout,
    stderr: io.stderr,
  };
  try {
    return await dispatch(ctx, command);
  } catch (err) {
    io.stderr.write(`${describeError(err, globals.server)}\n`);
    return exitCodes.error;
  }
}

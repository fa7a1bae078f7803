import { type Invocation, parseCli } from "./args.ts";
import { createClients } from "./clients.ts";
import { cancelCommand } from "./commands/cancel.ts";
import { forwardingCommand } from "./commands/forwarding.ts";
import { listCommand } from "./commands/list.ts";
import { logsCommand } from "./commands/logs.ts";
import { runCommand } from "./commands/run.ts";
import { scaleDownCommand } from "./commands/scale-down.ts";
import { scaleUpCommand } from "./commands/scale-up.ts";
import { statusCommand, watchStatusCommand } from "./commands/status.ts";
import { watchCommand } from "./commands/watch.ts";
import type { Context } from "./context.ts";
import { describeError, UsageError } from "./errors.ts";
import { exitCodes } from "./exit-codes.ts";
import { createTransport } from "./transport.ts";
import { helpText } from "./usage.ts";

interface Io {
  argv: readonly string[];
  env: Record<string, string | undefined>;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

function dispatch(ctx: Context, command: Invocation["command"]): Promise<number> {
  switch (command.name) {
    case "help":
      ctx.stdout.write(`${helpText(command.topic)}\n`);
      return Promise.resolve(exitCodes.ok);
    case "run":
      return runCommand(ctx, command.file);
    case "watch":
      return watchCommand(ctx, command.pipelineId);
    case "cancel":
      return cancelCommand(ctx, command.pipelineId, command.reason);
    case "logs":
      return logsCommand(ctx, command.target, command.follow);
    case "scale-up":
      return scaleUpCommand(ctx, command);
    case "scale-down":
      return scaleDownCommand(ctx, command);
    case "status":
      return command.watch
        ? watchStatusCommand(ctx, command.taskId, command.pipelineId)
        : statusCommand(ctx, command.taskId, command.pipelineId);
    case "list":
      return listCommand(ctx);
    case "forwarding":
      return forwardingCommand(ctx);
  }
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

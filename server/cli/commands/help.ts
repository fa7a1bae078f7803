import { type Command, defineCommand } from "../command.ts";
import { UsageError } from "../errors.ts";
import { exitCodes } from "../exit-codes.ts";
import { printLine } from "../output.ts";
import { helpText } from "../usage.ts";

/**
 * `ottoctl help [COMMAND]`, also reached by --help. It describes the list of commands it is
 * part of, so it gets that list as a function to call once the list exists.
 */
export function helpCommand(commands: () => readonly Command[]): Command {
  return defineCommand({
    name: "help",
    summary: [{ usage: "help [COMMAND]", text: "show help" }],
    usage: ["help [COMMAND]"],
    description: "Shows help for ottoctl or one command.",
    positionals: { topic: { name: "COMMAND" } },
    parse: ({ positionals: { topic } }) => {
      if (topic !== undefined && !commands().some((c) => c.name === topic)) {
        throw new UsageError(`unknown command "${topic}"`);
      }
      return { topic };
    },
    run: async (ctx, { topic }) => {
      printLine(ctx, helpText(commands(), topic));
      return exitCodes.ok;
    },
  });
}

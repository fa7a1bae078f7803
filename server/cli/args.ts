import { parseArgs } from "node:util";
import type { Command } from "./command.ts";
import { commands } from "./commands/index.ts";
import { UsageError } from "./errors.ts";
import { type GlobalOptions, globalOptions, parseGlobalOptions } from "./global-options.ts";
import { tokenizerOptions } from "./tokenizer-options.ts";

// server/testing/test-server.ts takes the protocols' type from here.
export type { Protocol } from "./global-options.ts";

/** A command's name and the arguments its `parse` returned for its `run`. */
export interface ParsedCommand {
  readonly name: string;
  readonly [argument: string]: unknown;
}

export interface Invocation {
  globals: GlobalOptions;
  command: ParsedCommand;
}

type Env = Record<string, string | undefined>;

const options = tokenizerOptions([globalOptions, ...commands.map((c) => c.options)]);

export function commandNamed(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}

function listedCommand(name: string): Command {
  const command = commandNamed(name);
  if (command === undefined) throw new Error(`the command list has no ${name}`);
  return command;
}

const helpCommand = listedCommand("help");

function tokenize(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * Turns the command line (without node and script) into an invocation.
 * Global options may appear anywhere; everything after `--` is positional.
 */
export function parseCli(argv: readonly string[], env: Env = {}): Invocation {
  const { values, tokens } = tokenize(argv);

  // Positionals before `--` name the command and its arguments; after it, only arguments.
  const terminator = tokens.find((t) => t.kind === "option-terminator");
  const before: string[] = [];
  const after: string[] = [];
  for (const t of tokens) {
    if (t.kind !== "positional") continue;
    if (terminator !== undefined && t.index > terminator.index) after.push(t.value);
    else before.push(t.value);
  }

  const globals = parseGlobalOptions(values, env);
  const invoke = (command: Command, positionals: readonly string[]): Invocation => ({
    globals,
    command: { ...command.parse(positionals, values), name: command.name },
  });

  // --help is `help` for the command named, if any, whatever else the command line holds.
  const [name, ...args] = before;
  if (name === undefined) {
    if (values.help === true) return invoke(helpCommand, []);
    throw new UsageError("missing command");
  }
  const command = commandNamed(name);
  if (command === undefined) {
    throw new UsageError(`unknown command "${name}"`);
  }
  if (values.help === true) return invoke(helpCommand, [name]);

  const allowed = new Set([...Object.keys(globalOptions), ...Object.keys(command.options)]);
  for (const t of tokens) {
    if (t.kind === "option" && !allowed.has(t.name)) {
      throw new UsageError(`${t.rawName} is not an option of "${name}"`);
    }
  }

  return invoke(command, [...args, ...after]);
}

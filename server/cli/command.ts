import { optionValues, positionalValues } from "./command-input.ts";
import type { Context } from "./context.ts";

interface OptionBase {
  /** A one-letter alias, such as f for -f. */
  short?: string;
  /** Its line in the command's help; left out where the usage line says all there is. */
  help?: string;
}

/** An option without a value, such as --watch. */
export interface FlagOption extends OptionBase {
  type: "boolean";
  default?: boolean;
}

/** An option with a value, such as --workers N; the last one given counts. */
export interface ValueOption extends OptionBase {
  type: "string";
  /** The value's name in help, such as N in `-w, --workers N`. */
  valueName: string;
  multiple?: false;
  default?: string;
}

/** An option with a value that may be given again and again, such as -e KEY=VALUE. */
export interface RepeatableOption extends OptionBase {
  type: "string";
  valueName: string;
  multiple: true;
  default?: readonly string[];
}

export type OptionDeclaration = FlagOption | ValueOption | RepeatableOption;
export type OptionDeclarations = Readonly<Record<string, OptionDeclaration>>;

/** An argument by position, such as FILE; with `missing` it is required. */
export interface PositionalDeclaration {
  /** Its name in the usage line, such as FILE. */
  name: string;
  /** What the command lacks without it, for "run needs a pipeline file: ..."; else it is optional. */
  missing?: string;
  /** It takes all the remaining arguments, those after `--` too; only the last may. */
  variadic?: boolean;
}

/** In order: the arguments a command takes by position, keyed by the name its `parse` sees. */
export type PositionalDeclarations = Readonly<Record<string, PositionalDeclaration>>;

type OptionValue<D> = D extends { type: "boolean" }
  ? boolean
  : D extends { multiple: true }
    ? readonly string[]
    : string;

/** An option's value, its default when not given, else undefined. */
export type OptionValues<O extends OptionDeclarations> = {
  [K in keyof O]: O[K] extends { default: unknown }
    ? OptionValue<O[K]>
    : OptionValue<O[K]> | undefined;
};

/** A positional argument: the remaining ones for a variadic one, undefined if optional and left out. */
export type PositionalValues<P extends PositionalDeclarations> = {
  [K in keyof P]: P[K] extends { variadic: true }
    ? string[]
    : P[K] extends { missing: string }
      ? string
      : string | undefined;
};

export interface CommandInput<O extends OptionDeclarations, P extends PositionalDeclarations> {
  positionals: PositionalValues<P>;
  options: OptionValues<O>;
}

/** One line of the command in `ottoctl --help`. */
export interface SummaryLine {
  /** Its short form, such as `run FILE`. */
  usage: string;
  text: string;
}

interface CommandDescription {
  /** What users type, such as scale-up. */
  name: string;
  summary: readonly SummaryLine[];
  /** The forms of the command line after `ottoctl `, one per line of `Usage:`. */
  usage: readonly string[];
  /** The paragraph of its help between the usage and the list of options. */
  description: string;
}

/** What a command's `run` takes. Not `name`: the parsed command line keeps the command's there. */
export type CommandArgs = object & { readonly name?: never };

/**
 * One ottoctl command as its file declares it. `parse` turns the checked arguments into what
 * `run` takes (without one, `run` takes the positionals and options as they are) and throws a
 * UsageError for what the declarations cannot say.
 */
export interface CommandDeclaration<
  O extends OptionDeclarations,
  P extends PositionalDeclarations,
  Args extends CommandArgs,
> extends CommandDescription {
  options?: O;
  positionals?: P;
  parse?: (input: CommandInput<O, P>) => Args;
  run(ctx: Context, args: Args): Promise<number>;
}

/** The options' values of the whole command line, as node:util parseArgs gives them. */
export type OptionValuesGiven = Readonly<
  Record<string, string | boolean | (string | boolean)[] | undefined>
>;

/** A command of the list: its declaration with the types of its arguments forgotten. */
export interface Command extends CommandDescription {
  options: OptionDeclarations;
  positionals: PositionalDeclarations;
  /** Checks the command's arguments and returns what `run` takes; throws a UsageError. */
  parse(positionals: readonly string[], values: OptionValuesGiven): object;
  /** Runs the command with what `parse` returned; resolves to the exit code. */
  run(ctx: Context, args: object): Promise<number>;
}

type Nothing = Record<never, never>;

/** The command for the list, with the types of its arguments kept inside its parse and run. */
export function defineCommand<
  const O extends OptionDeclarations = Nothing,
  const P extends PositionalDeclarations = Nothing,
  Args extends CommandArgs = PositionalValues<P> & OptionValues<O>,
>(declaration: CommandDeclaration<O, P, Args>): Command {
  const { name, summary, usage, description } = declaration;
  const options = declaration.options ?? ({} as O);
  const positionals = declaration.positionals ?? ({} as P);
  const variadic = Object.values(positionals).findIndex((p) => p.variadic === true);
  if (variadic !== -1 && variadic !== Object.keys(positionals).length - 1) {
    throw new Error(`${name}: only the last positional argument may be variadic`);
  }
  if (declaration.parse === undefined && ("name" in options || "name" in positionals)) {
    // CommandArgs cannot say this when the arguments are taken as declared.
    throw new Error(`${name}: an argument called name needs a parse that renames it`);
  }
  const parse =
    declaration.parse ??
    // Without a parse of its own, a command takes its arguments as they are, as declared.
    ((input: CommandInput<O, P>) => ({ ...input.positionals, ...input.options }) as Args);
  return {
    name,
    summary,
    usage,
    description,
    options,
    positionals,
    parse: (given, values) =>
      parse({
        positionals: positionalValues(name, positionals, given),
        options: optionValues(options, values),
      }),
    // Sound: the only arguments `run` is given are those its own `parse` returned.
    run: (ctx, args) => declaration.run(ctx, args as Args),
  };
}

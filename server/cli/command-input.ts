import type {
  OptionDeclarations,
  OptionValues,
  OptionValuesGiven,
  PositionalDeclarations,
  PositionalValues,
} from "./command.ts";
import { UsageError } from "./errors.ts";

/**
 * The command's positional arguments by the names it declares them under. Too many arguments,
 * then the first required one missing (or empty), are usage errors, in that order.
 */
export function positionalValues<P extends PositionalDeclarations>(
  command: string,
  declared: P,
  given: readonly string[],
): PositionalValues<P> {
  const entries = Object.entries(declared);
  const takesRest = entries.at(-1)?.[1].variadic === true;
  const extra = given[entries.length];
  if (!takesRest && extra !== undefined) {
    throw new UsageError(`${command}: unexpected argument "${extra}"`);
  }
  const values: Record<string, string | string[] | undefined> = {};
  for (const [index, [key, positional]] of entries.entries()) {
    if (positional.variadic === true) {
      const rest = given.slice(index);
      if (positional.missing !== undefined && rest.length === 0) {
        throw new UsageError(`${command} needs ${positional.missing}`);
      }
      values[key] = rest;
      continue;
    }
    const value = given[index];
    if (positional.missing !== undefined && (value === undefined || value === "")) {
      throw new UsageError(`${command} needs ${positional.missing}`);
    }
    values[key] = value;
  }
  // The loop set each declared key to a value of the kind its declaration says.
  return values as PositionalValues<P>;
}

/** The declared options' values from the command line, or their defaults. */
export function optionValues<O extends OptionDeclarations>(
  declared: O,
  given: OptionValuesGiven,
): OptionValues<O> {
  const values: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(declared)) {
    const value = given[key] ?? option.default;
    values[key] = Array.isArray(value) ? [...value] : value;
  }
  // parseArgs gave each option a value of its declared type; defaults have that type too.
  return values as OptionValues<O>;
}

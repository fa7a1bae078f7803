import type { ParseArgsOptionDescriptor, ParseArgsOptionsConfig } from "node:util";
import type { OptionDeclaration, OptionDeclarations } from "./command.ts";

function descriptor(option: OptionDeclaration): ParseArgsOptionDescriptor {
  return {
    type: option.type,
    ...(option.type === "string" && option.multiple === true ? { multiple: true } : {}),
    ...(option.short === undefined ? {} : { short: option.short }),
  };
}

/**
 * One parseArgs configuration with every option of every command. The command line is split
 * with all of them, so `list --watch` is told "not an option of list" rather than "unknown".
 * That needs an option of one name to be alike wherever it is declared; defaults and help may
 * differ, as they are applied per command.
 */
export function tokenizerOptions(
  declarationSets: readonly OptionDeclarations[],
): ParseArgsOptionsConfig {
  const config: ParseArgsOptionsConfig = {};
  const shorts = new Map<string, string>();
  for (const declarations of declarationSets) {
    for (const [name, option] of Object.entries(declarations)) {
      const wanted = descriptor(option);
      const known = config[name];
      const alike =
        known === undefined ||
        (known.type === wanted.type &&
          known.multiple === wanted.multiple &&
          known.short === wanted.short);
      if (!alike) {
        throw new Error(`--${name} is declared twice, differently`);
      }
      if (wanted.short !== undefined) {
        const owner = shorts.get(wanted.short);
        if (owner !== undefined && owner !== name) {
          throw new Error(`-${wanted.short} is declared for both --${owner} and --${name}`);
        }
        shorts.set(wanted.short, name);
      }
      config[name] = wanted;
    }
  }
  return config;
}

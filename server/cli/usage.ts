import type { Command, OptionDeclarations } from "./command.ts";
import { globalOptions } from "./global-options.ts";

/** `  -w, --workers N      how many...`: the options that have help, in declaration order. */
function optionLines(options: OptionDeclarations): string[] {
  return Object.entries(options).flatMap(([name, option]) => {
    if (option.help === undefined) return [];
    const short = option.short === undefined ? "" : `-${option.short}, `;
    const value = option.type === "string" ? ` ${option.valueName}` : "";
    return [`  ${`${short}--${name}${value}`.padEnd(19)}  ${option.help}`];
  });
}

const globalHelp = ["Global options:", ...optionLines(globalOptions)].join("\n");

function overview(commands: readonly Command[]): string {
  const lines = commands.flatMap((c) => c.summary.map((s) => `  ${s.usage.padEnd(27)}  ${s.text}`));
  return `ottoctl: command-line client for Ottoscaler

Usage: ottoctl [global options] COMMAND [arguments]

Commands:
${lines.join("\n")}

${globalHelp}

Run \`ottoctl COMMAND --help\` for a command's options.`;
}

function commandHelp(command: Command): string {
  const usage = command.usage.map((u, i) => `${i === 0 ? "Usage:" : "      "} ottoctl ${u}`);
  const options = optionLines(command.options);
  return [...usage, "", command.description, ...options, "", globalHelp].join("\n");
}

/** The help text for ottoctl (topic undefined), or for the command named topic. */
export function helpText(commands: readonly Command[], topic: string | undefined): string {
  if (topic === undefined) return overview(commands);
  const command = commands.find((c) => c.name === topic);
  if (command === undefined) throw new Error(`no help for "${topic}", which is not a command`);
  return commandHelp(command);
}

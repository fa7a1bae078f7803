import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { OptionDeclaration } from "../command.ts";
import { commands } from "./index.ts";

/** How an option appears in a usage line, such as `-w N` or `--watch`. */
function usageForm(name: string, option: OptionDeclaration): string {
  const flag = option.short === undefined ? `--${name}` : `-${option.short}`;
  return option.type === "string" ? `${flag} ${option.valueName}` : flag;
}

describe("the command list", () => {
  it("names each command once", () => {
    const names = commands.map((c) => c.name);
    assert.deepEqual(names, [...new Set(names)]);
  });

  for (const command of commands) {
    describe(command.name, () => {
      it("starts its usage and summary lines with its name", () => {
        for (const line of [...command.usage, ...command.summary.map((s) => s.usage)]) {
          assert.ok(line === command.name || line.startsWith(`${command.name} `), line);
        }
      });

      it("shows each of its options in a usage line", () => {
        for (const [name, option] of Object.entries(command.options)) {
          const form = usageForm(name, option);
          assert.ok(
            command.usage.some((u) => u.includes(form)),
            `${form} is not in the usage of ${command.name}`,
          );
        }
      });

      it("shows each of its positional arguments in a usage line", () => {
        for (const positional of Object.values(command.positionals)) {
          assert.ok(
            command.usage.some((u) => u.split(" ").some((word) => word.includes(positional.name))),
            `${positional.name} is not in the usage of ${command.name}`,
          );
        }
      });
    });
  }
});

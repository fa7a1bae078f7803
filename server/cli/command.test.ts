import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineCommand } from "./command.ts";

const described = { summary: [], usage: [], description: "" };
const run = async () => 0;

describe("defineCommand", () => {
  it("passes the arguments as declared to run when the command has no parse", () => {
    const command = defineCommand({
      name: "cancel",
      ...described,
      positionals: { pipelineId: { name: "ID", missing: "an ID" } },
      options: { reason: { type: "string", valueName: "TEXT", default: "" } },
      run,
    });
    assert.deepEqual(command.parse(["p-1"], { reason: "late", json: true }), {
      pipelineId: "p-1",
      reason: "late",
    });
  });

  it("gives its parse the checked arguments and returns what parse makes of them", () => {
    const command = defineCommand({
      name: "status",
      ...described,
      options: { task: { type: "string", valueName: "T", default: "" } },
      parse: ({ options }) => ({ taskId: options.task }),
      run,
    });
    assert.deepEqual(command.parse([], {}), { taskId: "" });
  });

  it("refuses a variadic positional argument before the last", () => {
    assert.throws(
      () =>
        defineCommand({
          name: "copy",
          ...described,
          positionals: { from: { name: "FROM", variadic: true }, to: { name: "TO" } },
          run,
        }),
      /only the last positional argument may be variadic/,
    );
  });

  it("refuses an argument called name taken as declared, as name is the command's", () => {
    assert.throws(
      () =>
        defineCommand({
          name: "rename",
          ...described,
          options: { name: { type: "string", valueName: "N" } },
          run,
        }),
      /an argument called name needs a parse/,
    );
  });
});

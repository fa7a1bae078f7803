import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { optionValues, positionalValues } from "./command-input.ts";
import { UsageError } from "./errors.ts";

function usageError(message: string) {
  return (e: unknown) => e instanceof UsageError && e.message === message;
}

describe("positionalValues", () => {
  const file = { file: { name: "FILE", missing: "a file" } };

  it("names the arguments as declared, an optional one left out as undefined", () => {
    assert.deepEqual(positionalValues("run", file, ["a.yaml"]), { file: "a.yaml" });
    assert.deepEqual(positionalValues("help", { topic: { name: "COMMAND" } }, []), {
      topic: undefined,
    });
  });

  it("refuses an argument too many before a missing or empty required one", () => {
    assert.throws(
      () => positionalValues("run", file, ["", "b.yaml"]),
      usageError('run: unexpected argument "b.yaml"'),
    );
    assert.throws(() => positionalValues("run", file, []), usageError("run needs a file"));
    assert.throws(() => positionalValues("run", file, [""]), usageError("run needs a file"));
    assert.throws(
      () => positionalValues("list", {}, ["x"]),
      usageError('list: unexpected argument "x"'),
    );
  });

  it("gives a variadic argument all the rest, and needs one if it is required", () => {
    const declared = {
      taskId: { name: "TASK", missing: "a task" },
      command: { name: "CMD", variadic: true, missing: "a command" },
    };
    assert.deepEqual(positionalValues("scale-up", declared, ["t", "sh", "-c", ""]), {
      taskId: "t",
      command: ["sh", "-c", ""],
    });
    assert.throws(
      () => positionalValues("scale-up", declared, ["t"]),
      usageError("scale-up needs a command"),
    );
  });
});

describe("optionValues", () => {
  const declared = {
    follow: { type: "boolean", default: false },
    pipeline: { type: "string", valueName: "ID" },
    env: { type: "string", valueName: "KEY=VALUE", multiple: true, default: [] },
  } as const;

  it("takes the declared options' values and leaves the others out", () => {
    assert.deepEqual(
      optionValues(declared, { follow: true, pipeline: "p", env: ["A=1"], json: true }),
      {
        follow: true,
        pipeline: "p",
        env: ["A=1"],
      },
    );
  });

  it("gives an option not on the command line its default, a fresh copy of a list", () => {
    const first = optionValues(declared, {});
    assert.deepEqual(first, { follow: false, pipeline: undefined, env: [] });
    assert.notEqual(first.env, declared.env.default);
  });
});

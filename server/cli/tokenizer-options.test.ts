import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tokenizerOptions } from "./tokenizer-options.ts";

describe("tokenizerOptions", () => {
  it("merges the options of all commands, one entry per name, without help or defaults", () => {
    assert.deepEqual(
      tokenizerOptions([
        { json: { type: "boolean", default: false, help: "as JSON" } },
        { pipeline: { type: "string", valueName: "ID" } },
        {
          pipeline: { type: "string", valueName: "P", default: "", help: "only pipeline P" },
          env: { type: "string", short: "e", multiple: true, valueName: "KEY=VALUE" },
        },
      ]),
      {
        json: { type: "boolean" },
        pipeline: { type: "string" },
        env: { type: "string", multiple: true, short: "e" },
      },
    );
  });

  it("refuses an option declared with another type, short letter or multiplicity", () => {
    assert.throws(
      () =>
        tokenizerOptions([
          { watch: { type: "boolean" } },
          { watch: { type: "string", valueName: "W" } },
        ]),
      /--watch is declared twice, differently/,
    );
    assert.throws(
      () =>
        tokenizerOptions([
          { follow: { type: "boolean", short: "f" } },
          { follow: { type: "boolean" } },
        ]),
      /--follow is declared twice/,
    );
  });

  it("refuses one short letter for two options", () => {
    assert.throws(
      () =>
        tokenizerOptions([
          { follow: { type: "boolean", short: "f" } },
          { force: { type: "boolean", short: "f" } },
        ]),
      /-f is declared for both --follow and --force/,
    );
  });
});

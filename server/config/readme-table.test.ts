import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { settingsTable, tableSpan } from "./readme-table.ts";

describe("the README's configuration table", () => {
  it("is exactly what the settings declare (else run `npm run docs:settings`)", async () => {
    const readme = await readFile(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
    const { start, end } = tableSpan(readme);
    assert.equal(readme.slice(start, end), settingsTable());
  });

  it("shows an empty default as quotes and a machine's default as declared", () => {
    const table = settingsTable([
      { env: "A", default: "", description: "empty" },
      { env: "LONGER", default: "/home/me/x", shownDefault: "~/x", description: "home" },
    ]);
    assert.equal(
      table,
      [
        "| variable | default | meaning |",
        "| -------- | ------- | ------- |",
        '| `A`      | `""`    | empty   |',
        "| `LONGER` | `~/x`   | home    |",
        "",
      ].join("\n"),
    );
  });

  it("is found between the heading and the next paragraph", () => {
    const readme = "# X\n\n## Configuration\n\nText:\n\n| a |\n| - |\n\nAfter.\n";
    const { start, end } = tableSpan(readme);
    assert.equal(readme.slice(start, end), "| a |\n| - |\n");
  });
});

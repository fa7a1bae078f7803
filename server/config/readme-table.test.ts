import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { it } from "node:test";
import { settings } from "./config.ts";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

it("documents every setting in the README's configuration table with its default", async () => {
  const readme = await readFile(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
  for (const s of Object.values(settings) as {
    env: string;
    default: string;
    shownDefault?: string;
  }[]) {
    const shown = s.shownDefault ?? (s.default === "" ? '""' : s.default);
    const row = new RegExp(
      `\\|\\s*\`${escapeRegExp(s.env)}\`\\s*\\|\\s*\`${escapeRegExp(shown)}\`\\s*\\|`,
    );
    assert.match(readme, row, `${s.env} is in the README table with default ${shown}`);
  }
});

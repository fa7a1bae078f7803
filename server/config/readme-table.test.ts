import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { it } from "node:test";
import { settings } from "./config.ts";

it("documents every setting in the README's configuration table with its default", async () => {
  const readme = await readFile(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
  for (const s of Object.values(settings)) {
    const shown = s.env === "OTTOSCALER_WORKSPACE_ROOT" ? "$TMPDIR/ottoscaler" : s.default;
    assert.ok(
      readme.includes(`| \`${s.env}\` | \`${shown}\` |`),
      `${s.env} is in the README table`,
    );
  }
});

// The import-rule check passes a clean tree and reports every kind of forbidden import.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";

function checkImports(tree: string) {
  const script = path.join(import.meta.dirname, "check-imports.ts");
  const root = path.join(import.meta.dirname, "testdata", "imports", tree);
  return spawnSync(process.execPath, [script, root], { encoding: "utf8" });
}

test("a tree that follows the layering passes", () => {
  const run = checkImports("clean");
  assert.equal(run.status, 0, run.stderr);
});

test("forbidden imports fail the check, each named with its file, line and rule", () => {
  const run = checkImports("forbidden");
  assert.equal(run.status, 1, run.stdout);
  const lines = run.stderr.trim().split("\n");
  // Reasons may be reworded; what is reported, where and under which rule may not.
  const expected = [
    "server/api/service.ts:2: imports server/app.ts — api ↛ root: ",
    "server/cli/main.ts:3: imports server/util/version.ts — cli ↛ base: ",
    "server/engine/fail.ts:4: constructs ConnectError — ",
    "server/engine/run.ts:2: imports server/logs/store/build-store.ts — engine ↛ logs-store: ",
    "server/executor/executor.ts:2: imports server/logs/log-hub.ts — executor ↛ logs: ",
    "server/misc/thing.ts: belongs to no layer — ",
    "server/workers/runner.ts:2: imports server/engine/run.ts — workers ↛ engine: ",
    "7 import rule violation(s)",
  ];
  assert.equal(lines.length, expected.length, run.stderr);
  for (const [i, prefix] of expected.entries()) {
    assert.ok(lines[i]?.startsWith(prefix), `line ${i + 1}: ${lines[i]}\n  expected: ${prefix}`);
  }
});

// The committed .jscpd.json reports a six-line copy (min-tokens must not hide short lines)
// and leaves a four-line one alone.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";

const repo = path.resolve(import.meta.dirname, "..");

interface Report {
  duplicates: { fragment: string; firstFile: { name: string }; secondFile: { name: string } }[];
}

async function findDuplicates(dir: string): Promise<{ status: number | null; report: Report }> {
  const out = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-jscpd-"));
  try {
    const jscpd = path.join(repo, "node_modules", "jscpd", "run-jscpd.js");
    const fixture = path.join("hack", "testdata", "duplicates", dir);
    const args = [jscpd, "-c", ".jscpd.json", "-r", "json", "-s", "-o", out, fixture];
    const run = spawnSync(process.execPath, args, { cwd: repo, encoding: "utf8" });
    assert.notEqual(run.status, null, run.stderr);
    const report = JSON.parse(await readFile(path.join(out, "jscpd-report.json"), "utf8"));
    return { status: run.status, report };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

test("six copied lines are reported and fail the check", async () => {
  const { status, report } = await findDuplicates("copied");
  assert.equal(status, 1);
  assert.equal(report.duplicates.length, 1);
  const [clone] = report.duplicates;
  assert.deepEqual([clone?.firstFile.name, clone?.secondFile.name], ["first.ts", "second.ts"]);
  for (const line of [
    "const doubled = n * 2;",
    "const shifted = doubled + 1;",
    "if (shifted > 10) return shifted;",
    "const halved = shifted / 2;",
    "const total = halved + doubled;",
    "const rest = total - shifted;",
  ]) {
    assert.ok(clone?.fragment.includes(line), `fragment lacks ${line}`);
  }
});

test("four shared lines are not a duplicate", async () => {
  const { status, report } = await findDuplicates("distinct");
  assert.equal(status, 0);
  assert.deepEqual(report.duplicates, []);
});

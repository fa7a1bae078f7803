import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { protocols, startTestServer, type TestServer } from "../testing/test-server.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

async function ottoctl(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [path.join(root, "bin/ottoctl.js"), ...args], {
      cwd: root,
    });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

describe("ottoctl run with the examples", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t[Symbol.asyncDispose]());

  for (const protocol of protocols) {
    it(`runs examples/full.yaml to success over ${protocol}, lint, unit-test and build at once`, async () => {
      const { code, stdout } = await ottoctl([
        "run",
        "examples/full.yaml",
        "--protocol",
        protocol,
        "--server",
        t.url,
      ]);
      assert.equal(code, 0, stdout);
      const lines = stdout.split("\n");
      const at = (stage: string, status: string) =>
        lines.findIndex((l) => new RegExp(`\\s${stage}\\s+${status}\\s`).test(l));
      const parallel = ["lint", "unit-test", "build"];
      const lastStart = Math.max(...parallel.map((s) => at(s, "RUNNING")));
      const firstEnd = Math.min(...parallel.map((s) => at(s, "SUCCEEDED")));
      assert.ok(
        parallel.every((s) => at(s, "RUNNING") >= 0),
        stdout,
      );
      assert.ok(lastStart < firstEnd, `all three were RUNNING before any finished:\n${stdout}`);
      assert.match(lines.filter((l) => l.trim()).at(-1) ?? "", /pipeline\s+SUCCEEDED/);
    });
  }

  it("exits 1 for examples/retry.yaml, whose doomed stage fails after its retries", async () => {
    const { code, stdout } = await ottoctl(["run", "examples/retry.yaml", "--server", t.url]);
    assert.equal(code, 1, stdout);
    assert.match(stdout, /RETRYING/);
    assert.match(stdout, /SKIPPED/);
  });

  it("exits 1 for examples/finally.yaml, whose cleanup runs after the failure and sees FAILED", async () => {
    const { code, stdout } = await ottoctl(["run", "examples/finally.yaml", "--server", t.url]);
    assert.equal(code, 1, stdout);
    assert.match(stdout, /package\s+SKIPPED/);
    assert.match(stdout, /cleanup\s+SUCCEEDED/);
    assert.match(stdout, /notify\s+SUCCEEDED/);
  });
});

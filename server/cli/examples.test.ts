import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { protocols, startTestServer, type TestServer } from "../testing/test-server.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

async function ottoctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [path.join(root, "bin/ottoctl.js"), ...args],
      { cwd: root },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
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

  it("runs examples/params.yaml with -p values, and refuses an undeclared one naming it", async () => {
    const ok = await ottoctl([
      "run",
      "examples/params.yaml",
      "-p",
      "version=1.2.3",
      "--server",
      t.url,
    ]);
    assert.equal(ok.code, 0, ok.stdout);
    const refused = await ottoctl([
      "run",
      "examples/params.yaml",
      "-p",
      "nope=1",
      "--server",
      t.url,
    ]);
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /paramValues\["nope"\]: unknown parameter \(declared: version, shards\)/,
    );
  });

  it("runs examples/conditions.yaml: report-failure only when a test fails, deploy only when asked", async () => {
    const passing = await ottoctl(["run", "examples/conditions.yaml", "--server", t.url]);
    assert.equal(passing.code, 0, passing.stdout);
    assert.match(passing.stdout, /report-failure\s+SKIPPED/);
    assert.match(passing.stdout, /deploy\s+SKIPPED/);
    assert.match(passing.stdout, /notify-failure\s+SKIPPED/);
    const failing = await ottoctl([
      "run",
      "examples/conditions.yaml",
      "-p",
      "fail=true",
      "--server",
      t.url,
    ]);
    assert.equal(failing.code, 1, failing.stdout);
    assert.match(failing.stdout, /report-failure\s+SUCCEEDED/);
    assert.match(failing.stdout, /notify-failure\s+SUCCEEDED/);
    const deploying = await ottoctl([
      "run",
      "examples/conditions.yaml",
      "-p",
      "deploy=true",
      "--server",
      t.url,
    ]);
    assert.match(deploying.stdout, /deploy\s+SUCCEEDED/);
  });

  it("exits 1 for examples/timeout.yaml: integration stopped, publish SKIPPED, cleanup run", async () => {
    const { code, stdout } = await ottoctl(["run", "examples/timeout.yaml", "--server", t.url]);
    assert.equal(code, 1, stdout);
    assert.match(stdout, /integration\s+FAILED/);
    assert.match(stdout, /publish\s+SKIPPED/);
    assert.match(stdout, /cleanup\s+SUCCEEDED/);
    assert.match(stdout, /timed out after 2s/);
  });

  it("runs examples/matrix.yaml: three instances of test, then report", async () => {
    const { code, stdout } = await ottoctl(["run", "examples/matrix.yaml", "--server", t.url]);
    assert.equal(code, 0, stdout);
    for (const id of [
      "shell=sh,mode=fast,coverage=true",
      "shell=sh,mode=full",
      "shell=ash,mode=fast",
    ]) {
      assert.match(stdout, new RegExp(`test\\[${id}\\]\\s+SUCCEEDED`));
    }
    assert.doesNotMatch(stdout, /shell=ash,mode=full/);
    assert.match(stdout, /report\s+SUCCEEDED/);
  });
});

import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import {
  defaultResources,
  type WorkerHooks,
  type WorkerSpec,
  type WorkerStream,
} from "../executor.ts";
import { LocalExecutor } from "./local-executor.ts";

const executor = new LocalExecutor({
  workspaceRoot: path.join(os.tmpdir(), "ottoscaler-test"),
  stopGraceMs: 2000,
  maxLineBytes: 1024,
});

function spec(command: string[], extra: Partial<WorkerSpec> = {}): WorkerSpec {
  return {
    workerId: "w1",
    index: 0,
    count: 1,
    image: "busybox",
    command,
    env: {},
    resources: defaultResources,
    ...extra,
  };
}

function recorder() {
  const lines: [WorkerStream, string][] = [];
  let started = false;
  const hooks: WorkerHooks = {
    started: () => {
      started = true;
    },
    log: (stream, line) => lines.push([stream, line]),
  };
  return { hooks, lines, started: () => started };
}

/** Gone or a zombie: a zombie waits only for its reaper, which is not us. */
async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

describe("LocalExecutor", () => {
  it("runs one string through sh -c and reports stdout and stderr lines", async () => {
    const r = recorder();
    const outcome = await executor.runWorker(
      spec(["echo out; echo err >&2; exit 0"]),
      r.hooks,
      new AbortController().signal,
    );
    assert.equal(outcome.phase, "succeeded");
    assert.equal(r.started(), true);
    assert.deepEqual(r.lines.sort(), [
      ["stderr", "err"],
      ["stdout", "out"],
    ]);
  });

  it("runs an argv directly and reports its exit code", async () => {
    const r = recorder();
    const outcome = await executor.runWorker(
      spec(["sh", "-c", "exit 3"]),
      r.hooks,
      new AbortController().signal,
    );
    assert.deepEqual(outcome, { phase: "failed", exitCode: 3, reason: "exit code 3" });
  });

  it("gives the worker its identity and the stage env", async () => {
    const r = recorder();
    await executor.runWorker(
      spec(
        [
          'echo "$OTTOSCALER_PIPELINE_ID $OTTOSCALER_STAGE_ID $OTTOSCALER_WORKER_INDEX/$OTTOSCALER_WORKER_COUNT $GREETING"',
        ],
        {
          pipelineId: "p1",
          stageId: "build",
          index: 2,
          count: 3,
          env: { GREETING: "hi" },
        },
      ),
      r.hooks,
      new AbortController().signal,
    );
    assert.deepEqual(r.lines, [["stdout", "p1 build 2/3 hi"]]);
  });

  it("fails a command that does not exist with a clear reason", async () => {
    const r = recorder();
    const outcome = await executor.runWorker(
      spec(["/nonexistent/tool", "x"]),
      r.hooks,
      new AbortController().signal,
    );
    assert.equal(outcome.phase, "failed");
    assert.equal(outcome.reason, "command not found: /nonexistent/tool");
  });

  it("stops the whole process group when aborted", async () => {
    const workspace = await executor.createWorkspace("stop-test");
    const controller = new AbortController();
    const hooks: WorkerHooks = {
      started() {},
      log(_stream, line) {
        if (line === "ready") controller.abort("stopped by test");
      },
    };
    const outcome = await executor.runWorker(
      spec(["sleep 30 & echo $! > child.pid; echo ready; wait"], { workspace }),
      hooks,
      controller.signal,
    );
    assert.deepEqual(outcome, { phase: "stopped", reason: "stopped by test" });
    const childPid = Number((await readFile(path.join(workspace, "child.pid"), "utf8")).trim());
    assert.equal(await isAlive(childPid), false);
    await executor.removeWorkspace(workspace);
    await assert.rejects(stat(workspace), { code: "ENOENT" });
  });
});

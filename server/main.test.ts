import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { OttoscalerService } from "../gen/ottoscaler/v1/ottoscaler_pb.js";
import { PipelineStatus } from "../gen/ottoscaler/v1/pipeline_pb.js";
import { tempDataDir } from "./testing/data-dir.ts";
import { createTransport } from "./testing/test-server.ts";

/** Starts the real entry point and resolves with its URL once it logs that it listens. */
async function startMain(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; logs: string[] }> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, "main.ts")], {
    env: {
      ...process.env,
      OTTOSCALER_HOST: "127.0.0.1",
      OTTOSCALER_PORT: "0",
      OTTOSCALER_DATA_DIR: tempDataDir(),
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const logs: string[] = [];
  const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
    lines.on("line", (line) => {
      logs.push(line);
      const entry = JSON.parse(line) as { event?: string; port?: number };
      if (entry.event === "serverListening") resolve(`http://127.0.0.1:${entry.port}`);
    });
  });
  return { child, url, logs };
}

it("shuts down on SIGTERM: streams end cleanly, workers are stopped, exit code 0", async () => {
  const out = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-main-"));
  const { child, url, logs } = await startMain({ OTTOSCALER_LOG_LANG: "ko" });
  const client = createClient(OttoscalerService, createTransport("grpc", url));
  const stream = client.executePipeline({
    stages: [{ id: "long", command: [`echo $$ > ${out}/pid; exec sleep 60`] }],
  });
  const events = [];
  for await (const event of stream) {
    events.push(event);
    if (event.stageId === "long" && event.status === PipelineStatus.RUNNING) child.kill("SIGTERM");
  }
  // The stream ended without an error, with the pipeline's final event.
  assert.equal(events.at(-1)?.status, PipelineStatus.CANCELLED);
  assert.match(events.at(-1)?.message ?? "", /shutting down/);
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
  const pid = Number((await readFile(path.join(out, "pid"), "utf8")).trim());
  assert.throws(() => process.kill(pid, 0), { code: "ESRCH" });
  const messages = logs.map((l) => (JSON.parse(l) as { msg: string }).msg);
  assert.ok(messages.includes("🛑 서버를 종료합니다"), "logs in Korean when asked");
});

it("listens at once but is not ready while the cluster cannot be reached", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-kc-"));
  const kubeconfig = path.join(dir, "config");
  await writeFile(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:1'}}]",
      "users: [{name: u, user: {token: t}}]",
      "contexts: [{name: c, context: {cluster: gone, user: u}}]",
      "current-context: c",
    ].join("\n"),
  );
  const { child, url } = await startMain({
    OTTOSCALER_EXECUTOR: "kubernetes",
    KUBECONFIG: kubeconfig,
  });
  try {
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 503);
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
});

it("refuses to start with a clear message on a bad setting", async () => {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, "main.ts")], {
    env: { ...process.env, OTTOSCALER_MAX_WORKERS: "lots" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const [code] = await once(child, "exit");
  assert.equal(code, 2);
  assert.match(stderr, /OTTOSCALER_MAX_WORKERS: "lots" is not a whole number/);
});

it("refuses to start, saying why, when its data directory cannot be used", async () => {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, "main.ts")], {
    env: { ...process.env, OTTOSCALER_PORT: "0", OTTOSCALER_DATA_DIR: "/etc/hostname/data" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  const [code] = await once(child, "exit");
  assert.equal(code, 1);
  const line = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
  assert.equal(line.event, "storeUnavailable");
  assert.equal(line.dataDir, "/etc/hostname/data");
  assert.match(String(line.error), /ENOTDIR/);
});

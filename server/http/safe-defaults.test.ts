import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { tempDataDir } from "../testing/data-dir.ts";
import { followJsonLog } from "../testing/json-log.ts";
import { listenSockets } from "../testing/listen-sockets.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";

const run = promisify(execFile);
const main = path.resolve(import.meta.dirname, "../main.ts");

/** The environment of a fresh clone's `npm start`: none of our settings, a free port. */
function freshEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith("OTTOSCALER_")) delete env[name];
  return {
    ...env,
    OTTOSCALER_PORT: "0",
    OTTOSCALER_EXECUTOR: "local",
    OTTOSCALER_DATA_DIR: tempDataDir(),
    ...extra,
  };
}

function startMain(extra: Record<string, string> = {}) {
  const child = spawn(process.execPath, [main], {
    env: freshEnv(extra),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = followJsonLog(child.stdout);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return { child, log, exited, stderr: () => stderr };
}

describe("safe by default", () => {
  it("listens on 127.0.0.1 only with no settings (the kernel's socket table says so)", async () => {
    const main = startMain();
    try {
      const listening = await main.log.waitFor("serverListening");
      const sockets = await listenSockets(main.child.pid as number);
      assert.deepEqual(sockets, [{ address: "127.0.0.1", port: listening.port }]);
    } finally {
      main.child.kill("SIGTERM");
      await main.exited;
    }
  });

  it("refuses another address without authentication, naming the setting that allows it", async () => {
    const main = startMain({ OTTOSCALER_HOST: "0.0.0.0" });
    assert.equal(await main.exited, 2);
    assert.match(main.stderr(), /OTTOSCALER_HOST: "0.0.0.0" is not a loopback address/);
    assert.match(main.stderr(), /OTTOSCALER_ALLOW_UNAUTHENTICATED=true/);
  });

  it("listens elsewhere when told to explicitly, with a warning", async () => {
    const main = startMain({
      OTTOSCALER_HOST: "0.0.0.0",
      OTTOSCALER_ALLOW_UNAUTHENTICATED: "true",
    });
    try {
      const warning = await main.log.waitFor("listeningUnauthenticated");
      assert.equal(warning.level, 40);
      assert.equal(warning.host, "0.0.0.0");
      const { port } = await main.log.waitFor("serverListening");
      assert.deepEqual(await listenSockets(main.child.pid as number), [
        { address: "0.0.0.0", port },
      ]);
    } finally {
      main.child.kill("SIGTERM");
      await main.exited;
    }
  });
});

/** curl's status code and body. */
async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run("curl", [
    "-sS",
    "--max-time",
    "10",
    "-w",
    "\n%{http_code}",
    ...args,
  ]);
  const split = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(split + 1)), body: stdout.slice(0, split) };
}

describe("browsers and DNS rebinding", () => {
  let t: TestServer;
  let scaleUp: string;
  const request = (taskId: string) =>
    JSON.stringify({ taskId, workerCount: 1, command: ["sleep 30"] });
  const tasks = async () =>
    (await t.clients("connect").ottoscaler.getWorkerStatus({})).workers.map((w) => w.taskId);
  /** The audit records of HTTP-layer refusals for one reason: method and message. */
  const refusals = async (by: string) =>
    (await t.app.audit.list({ limit: 1000 }))
      .filter((r) => r.refusedBy === by)
      .map((r) => [r.method, r.code, r.user, r.message]);

  before(async () => {
    // The defaults for origins and hosts: same-origin only, loopback names only.
    t = await startTestServer();
    scaleUp = `${t.url}/ottoscaler.v1.OttoscalerService/ScaleUp`;
  });
  after(async () => {
    await t[Symbol.asyncDispose]();
  });

  it("refuses a request from a page on another origin, before it runs anything", async () => {
    for (const origin of ["http://evil.test", "null", `http://localhost:${t.server.port + 1}`]) {
      const res = await curl(["-H", `origin: ${origin}`, "--json", request("foreign"), scaleUp]);
      assert.equal(res.status, 403, origin);
      assert.match(res.body, /is not allowed \(OTTOSCALER_CORS_ORIGINS\)/);
    }
    // A preflight from it gets no CORS headers either.
    const preflight = await curl([
      "-X",
      "OPTIONS",
      "-i",
      "-H",
      "origin: http://evil.test",
      "-H",
      "access-control-request-method: POST",
      scaleUp,
    ]);
    assert.equal(preflight.status, 403);
    assert.doesNotMatch(preflight.body, /access-control-allow-origin/i);
    assert.ok(!(await tasks()).includes("foreign"));
    // Each refusal is in the audit trail, though no RPC ran.
    const method = "ottoscaler.v1.OttoscalerService/ScaleUp";
    const origins = ["http://evil.test", "null", `http://localhost:${t.server.port + 1}`];
    assert.deepEqual(await refusals("origin"), [
      ...origins.map((o) => [
        method,
        "permission_denied",
        "",
        `origin ${o} is not allowed (OTTOSCALER_CORS_ORIGINS)`,
      ]),
      [
        method,
        "permission_denied",
        "",
        "origin http://evil.test is not allowed (OTTOSCALER_CORS_ORIGINS)",
      ],
    ]);
  });

  it("serves a page of its own origin", async () => {
    const res = await curl(["-H", `origin: ${t.url}`, "--json", request("same"), scaleUp]);
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(await tasks(), ["same"]);
    await t.clients("connect").ottoscaler.scaleDown({ taskId: "same", workerCount: 1 });
  });

  it("refuses a foreign Host (a rebound name), over HTTP/1.1 and HTTP/2, and keeps serving", async () => {
    for (const extra of [[], ["--http2-prior-knowledge"]]) {
      const res = await curl([
        ...extra,
        "-H",
        "host: rebind.evil.test",
        "--json",
        request("x"),
        scaleUp,
      ]);
      assert.equal(res.status, 421, res.body);
      assert.match(res.body, /host "rebind.evil.test" is not served here/);
    }
    assert.equal((await curl(["-H", "host: rebind.evil.test", `${t.url}/healthz`])).status, 200);
    assert.ok(!(await tasks()).includes("x"));
    const refused = [
      "ottoscaler.v1.OttoscalerService/ScaleUp",
      "permission_denied",
      "",
      'host "rebind.evil.test" is not served here (OTTOSCALER_ALLOWED_HOSTS)',
    ];
    assert.deepEqual(await refusals("host"), [refused, refused]);
    for (const host of ["localhost", `127.0.0.1:${t.server.port}`, `[::1]:${t.server.port}`]) {
      const res = await curl([
        "-H",
        `host: ${host}`,
        "--json",
        "{}",
        `${t.url}/ottoscaler.v1.OttoscalerService/ListPipelines`,
      ]);
      assert.equal(res.status, 200, host);
    }
  });
});

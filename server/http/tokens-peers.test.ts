import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { chromium } from "playwright-core";
import {
  PipelineProgressSchema,
  PipelineRequestSchema,
  PipelineStatus,
} from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { WorkerStatusResponseSchema } from "../../gen/ottoscaler/v1/worker_pb.js";
import { chromiumArgs, chromiumPath, noChromium } from "../testing/chromium.ts";
import { tempDataDir } from "../testing/data-dir.ts";
import { noPythonGrpc, python } from "../testing/python-grpc.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";
import { testTls } from "../testing/tls.ts";
import { roleTokens } from "../testing/tokens.ts";

const run = promisify(execFile);
const testdata = path.join(import.meta.dirname, "testdata");
const waitMs = 30_000;
const denial = 'viewer "viewer" may not call ExecutePipeline: it takes the operator role';
const anonymous =
  "no credentials: send authorization: Bearer <token> (ottoctl --token or $OTTOSCALER_TOKEN)";

/** What testdata/envelopes.js makes of a gRPC-Web answer. */
interface GrpcWebAnswer {
  httpStatus: number;
  contentType: string | null;
  headerGrpcStatus: string | null;
  headerGrpcMessage: string | null;
  frames: { flags: number; hex?: string; trailers?: Record<string, string> }[];
  leftoverBytes: number;
}

describe("tokens mode over TLS: a read, a write and a denial for each other client", () => {
  let t: TestServer;
  const { file, token } = roleTokens();
  const recorded = recordingLogger();
  const pipeline = (pipelineId: string) =>
    create(PipelineRequestSchema, { pipelineId, stages: [{ id: "hi", command: ["echo hi"] }] });
  /** The audit records of one pipeline or task: user, protocol and code. */
  const audited = async (id: string) =>
    (await t.app.audit.list({ limit: 1000 }))
      .filter((r) => r.pipelineId === id || r.taskId === id)
      .map((r) => [r.user, r.protocol, r.method.split("/")[1], r.code]);

  before(async () => {
    t = await startTestServer(
      {
        OTTOSCALER_AUTH: "tokens",
        OTTOSCALER_TOKENS_FILE: file,
        OTTOSCALER_TLS_CERT_FILE: testTls.cert,
        OTTOSCALER_TLS_KEY_FILE: testTls.key,
      },
      { logger: recorded.logger },
    );
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it("python3-grpcio over TLS", { skip: noPythonGrpc }, async () => {
    const hex = Buffer.from(toBinary(PipelineRequestSchema, pipeline("from-python"))).toString(
      "hex",
    );
    const script = path.join(testdata, "python_tokens_peer.py");
    const { stdout } = await run(
      python,
      [script, `127.0.0.1:${t.server.port}`, testTls.cert, hex],
      {
        timeout: 60_000,
        env: { ...process.env, VIEWER_TOKEN: token.viewer, OPERATOR_TOKEN: token.operator },
      },
    );
    const lines = stdout.trimEnd().split("\n");
    const field = (line: string) => line.slice(line.indexOf(" ") + 1);
    const events = lines
      .filter((l) => l.startsWith("progress "))
      .map((l) => fromBinary(PipelineProgressSchema, Buffer.from(field(l), "hex")));
    assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED, stdout);
    const status = fromBinary(
      WorkerStatusResponseSchema,
      Buffer.from(field(lines.at(-3) ?? ""), "hex"),
    );
    assert.deepEqual(
      status.workers.map((w) => w.pipelineId),
      ["from-python"],
    );
    assert.deepEqual(lines.slice(-2), [
      `denied PERMISSION_DENIED ${denial}`,
      `anonymous UNAUTHENTICATED ${anonymous}`,
    ]);
    assert.deepEqual(await audited("from-python"), [
      ["operator", "grpc", "ExecutePipeline", "ok"],
      ["viewer", "grpc", "ExecutePipeline", "permission_denied"],
    ]);
  });

  it("curl with JSON over TLS (HTTP/2)", async () => {
    const curl = async (method: string, body: object, who?: "viewer" | "operator") => {
      const { stdout } = await run("curl", [
        ...["-sS", "--max-time", "10", "--http2", "--cacert", testTls.cert],
        ...(who === undefined ? [] : ["-H", `authorization: Bearer ${token[who]}`]),
        ...["-w", "\n%{http_code} %{http_version}", "--json", JSON.stringify(body)],
        `${t.server.secureUrl}/ottoscaler.v1.OttoscalerService/${method}`,
      ]);
      const split = stdout.lastIndexOf("\n");
      return { body: JSON.parse(stdout.slice(0, split)), status: stdout.slice(split + 1) };
    };
    const up = { taskId: "from-curl", workerCount: 1, command: ["sleep 30"] };
    const wrote = await curl("ScaleUp", up, "operator");
    assert.equal(wrote.status, "200 2");
    assert.equal(wrote.body.taskId, "from-curl");
    const read = await curl("GetWorkerStatus", { taskId: "from-curl" }, "viewer");
    assert.equal(read.status, "200 2");
    assert.deepEqual(
      read.body.workers.map((w: { taskId: string }) => w.taskId),
      ["from-curl"],
    );
    const denied = await curl("ScaleDown", { taskId: "from-curl", workerCount: 1 }, "viewer");
    assert.equal(denied.status, "403 2");
    assert.deepEqual(denied.body, {
      code: "permission_denied",
      message: 'viewer "viewer" may not call ScaleDown: it takes the operator role',
    });
    const nobody = await curl("GetWorkerStatus", {});
    assert.equal(nobody.status, "401 2");
    assert.deepEqual(nobody.body, { code: "unauthenticated", message: anonymous });
    assert.equal(
      (await curl("ScaleDown", { taskId: "from-curl", workerCount: 1 }, "operator")).status,
      "200 2",
    );
    assert.deepEqual(await audited("from-curl"), [
      ["operator", "connect", "ScaleUp", "ok"],
      ["viewer", "connect", "ScaleDown", "permission_denied"],
      ["operator", "connect", "ScaleDown", "ok"],
    ]);
  });

  it("Chromium with gRPC-Web over HTTP/2 + TLS, from a page of the controller's own origin", {
    skip: noChromium,
    timeout: 2 * waitMs,
  }, async () => {
    // Chromium trusts the test certificate by its key (the flag needs a user data dir of its own).
    const spki = createHash("sha256")
      .update(
        new X509Certificate(readFileSync(testTls.cert)).publicKey.export({
          type: "spki",
          format: "der",
        }),
      )
      .digest("base64");
    const context = await chromium.launchPersistentContext(tempDataDir(), {
      executablePath: chromiumPath,
      headless: true,
      timeout: waitMs,
      args: [...chromiumArgs, `--ignore-certificate-errors-spki-list=${spki}`],
    });
    try {
      const origin = t.server.secureUrl ?? "";
      // The controller serves no pages yet (the dashboard will): the browser gets the test page
      // as if from the controller's origin, and its calls go to the controller itself.
      await context.route(`${origin}/peer/*`, async (route) => {
        const name = path.basename(new URL(route.request().url()).pathname);
        const type = name.endsWith(".html") ? "text/html" : "text/javascript";
        await route.fulfill({ contentType: type, body: await readFile(path.join(testdata, name)) });
      });
      const page = await context.newPage();
      await page.goto(`${origin}/peer/grpc-web-peer.html`);
      await page.waitForFunction("typeof window.runPeer === 'function'", undefined, {
        timeout: waitMs,
      });
      const hex = Buffer.from(toBinary(PipelineRequestSchema, pipeline("from-chromium"))).toString(
        "hex",
      );
      const args = JSON.stringify({
        viewer: token.viewer,
        operator: token.operator,
        pipelineRequestHex: hex,
      });
      const result = (await page.evaluate(`window.runPeer(${args})`)) as Record<
        "write" | "read" | "denied" | "anonymous",
        GrpcWebAnswer
      > & { protocols: string[] };

      assert.deepEqual(result.protocols, ["h2", "h2", "h2", "h2"]);
      const data = (a: GrpcWebAnswer) => a.frames.filter((f) => f.flags === 0).map((f) => f.hex);
      const trailer = (a: GrpcWebAnswer) => a.frames.find((f) => f.flags === 0x80)?.trailers;

      const events = data(result.write).map((h) =>
        fromBinary(PipelineProgressSchema, Buffer.from(h ?? "", "hex")),
      );
      assert.equal(result.write.contentType, "application/grpc-web+proto");
      assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED);
      assert.equal(trailer(result.write)?.["grpc-status"], "0");

      const [status] = data(result.read);
      const workers = fromBinary(WorkerStatusResponseSchema, Buffer.from(status ?? "", "hex"));
      assert.ok(workers.workers.some((w) => w.pipelineId === "from-chromium"));
      assert.equal(trailer(result.read)?.["grpc-status"], "0");

      const refusal = (a: GrpcWebAnswer) => [
        a.httpStatus,
        a.headerGrpcStatus ?? trailer(a)?.["grpc-status"],
        decodeURIComponent(a.headerGrpcMessage ?? trailer(a)?.["grpc-message"] ?? ""),
      ];
      assert.deepEqual(refusal(result.denied), [200, "7", denial]);
      assert.deepEqual(refusal(result.anonymous), [200, "16", anonymous]);
      assert.deepEqual(await audited("from-chromium"), [
        ["operator", "grpc-web", "ExecutePipeline", "ok"],
        ["viewer", "grpc-web", "ExecutePipeline", "permission_denied"],
      ]);
    } finally {
      await context.close();
    }
  });

  it("writes no token to its log", () => {
    const logged = recorded.text();
    for (const tok of Object.values(token)) assert.ok(!logged.includes(tok));
  });
});

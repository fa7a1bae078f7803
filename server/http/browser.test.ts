import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { type Browser, chromium, type Page } from "playwright-core";
import { WorkerStatusResponseSchema } from "../../gen/ottoscaler/v1/worker_pb.js";
import { chromiumArgs, chromiumPath, noChromium } from "../testing/chromium.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";

const testdata = path.join(import.meta.dirname, "testdata");
const waitMs = 30_000;

/** What testdata/browser-peer.js leaves in window.peerResult. */
interface PeerResult {
  error?: { name: string; message: string };
  pipeline?: {
    httpStatus: number;
    contentType: string | null;
    events: { pipelineId: string; stageId?: string; status: string; sequence: string }[];
    endStream?: { flags: number; json: Record<string, unknown> };
    leftoverBytes: number;
  };
  json?: {
    httpStatus: number;
    contentType: string | null;
    body: { workers?: { pipelineId?: string; stageId?: string; phase?: string }[] };
  };
  grpcWeb?: {
    httpStatus: number;
    contentType: string | null;
    headerGrpcStatus: string | null;
    frames: { flags: number; hex?: string; trailers?: Record<string, string> }[];
    leftoverBytes: number;
  };
}

/** A static server for the test page: its own port, so its own origin. */
async function startPageServer(): Promise<{ origin: string; close(): Promise<void> }> {
  const files: Record<string, string> = {
    "/browser-peer.html": "text/html; charset=utf-8",
    "/browser-peer.js": "text/javascript; charset=utf-8",
    "/envelopes.js": "text/javascript; charset=utf-8",
  };
  const server = http.createServer(async (req, res) => {
    const pathname = new URL(req.url ?? "/", "http://page").pathname;
    const type = files[pathname];
    if (type === undefined) {
      res.writeHead(404).end();
      return;
    }
    const body = await readFile(path.join(testdata, pathname));
    res.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Opens the test page from origin against the server at serverUrl; waits until it is done. */
async function runPage(
  page: Page,
  origin: string,
  serverUrl: string,
): Promise<{ result: PeerResult; pipelineStatus: string | null }> {
  await page.goto(`${origin}/browser-peer.html?server=${encodeURIComponent(serverUrl)}`);
  // The page's own globals: a string, as this project's types know no DOM.
  await page.waitForFunction("window.peerResult !== undefined", undefined, { timeout: waitMs });
  return {
    result: (await page.evaluate("window.peerResult")) as PeerResult,
    pipelineStatus: await page.locator("#pipeline-status").textContent(),
  };
}

describe("a browser page on another origin, with fetch alone", {
  skip: noChromium,
}, () => {
  let t: TestServer;
  let browser: Browser;
  let allowed: Awaited<ReturnType<typeof startPageServer>>;
  let denied: Awaited<ReturnType<typeof startPageServer>>;

  before(async () => {
    [allowed, denied] = await Promise.all([startPageServer(), startPageServer()]);
    t = await startTestServer({ OTTOSCALER_CORS_ORIGINS: allowed.origin });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      timeout: waitMs,
      args: chromiumArgs,
    });
  });
  after(async () => {
    await browser?.close();
    await t?.[Symbol.asyncDispose]();
    await Promise.all([allowed?.close(), denied?.close()]);
  });

  it("runs a pipeline over a Connect JSON stream, then reads workers over Connect JSON and gRPC-Web", {
    timeout: 2 * waitMs,
  }, async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const { result, pipelineStatus } = await runPage(page, allowed.origin, t.url);
      assert.equal(result.error, undefined, JSON.stringify(result.error));

      // ExecutePipeline: Connect streaming JSON, read from response.body as it comes.
      const pipeline = result.pipeline;
      assert.ok(pipeline);
      assert.equal(pipeline.httpStatus, 200);
      assert.equal(pipeline.contentType, "application/connect+json");
      assert.ok(pipeline.events.length >= 3, JSON.stringify(pipeline.events));
      assert.deepEqual(
        pipeline.events.map((e) => e.sequence),
        pipeline.events.map((_, i) => String(i + 1)),
      );
      assert.ok(pipeline.events.every((e) => e.pipelineId === "from-the-browser"));
      assert.ok(
        pipeline.events.some(
          (e) => e.stageId === "hello" && e.status === "PIPELINE_STATUS_RUNNING",
        ),
      );
      const last = pipeline.events.at(-1);
      assert.equal(last?.stageId, undefined, "the final event is about the pipeline");
      assert.equal(last?.status, "PIPELINE_STATUS_SUCCEEDED");
      assert.equal(pipelineStatus, "PIPELINE_STATUS_SUCCEEDED");
      assert.equal(pipeline.endStream?.flags, 0x02);
      assert.equal(pipeline.endStream?.json.error, undefined);
      assert.equal(pipeline.leftoverBytes, 0);

      // GetWorkerStatus, Connect unary JSON: the pipeline's one worker.
      const json = result.json;
      assert.ok(json);
      assert.equal(json.httpStatus, 200);
      assert.equal(json.contentType, "application/json");
      assert.deepEqual(
        json.body.workers?.map((w) => [w.pipelineId, w.stageId, w.phase]),
        [["from-the-browser", "hello", "WORKER_PHASE_SUCCEEDED"]],
      );

      // GetWorkerStatus, gRPC-Web binary: one data frame, then the trailer frame.
      const web = result.grpcWeb;
      assert.ok(web);
      assert.equal(web.httpStatus, 200);
      assert.equal(web.contentType, "application/grpc-web+proto");
      assert.equal(web.headerGrpcStatus, null, "not a trailers-only response");
      assert.deepEqual(
        web.frames.map((f) => f.flags),
        [0x00, 0x80],
      );
      const message = fromBinary(
        WorkerStatusResponseSchema,
        Buffer.from(web.frames[0]?.hex ?? "", "hex"),
      );
      assert.deepEqual(
        message.workers.map((w) => [w.pipelineId, w.stageId]),
        [["from-the-browser", "hello"]],
      );
      assert.equal(web.frames[1]?.trailers?.["grpc-status"], "0");
      assert.equal(web.leftoverBytes, 0);
    } finally {
      await context.close();
    }
  });

  it("lets CORS block a page whose origin is not in OTTOSCALER_CORS_ORIGINS", {
    timeout: 2 * waitMs,
  }, async () => {
    const before = await t.clients("connect").ottoscaler.listPipelines({});
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      // Chromium says why a fetch failed only on the console.
      const blocked = page.waitForEvent("console", {
        predicate: (m) => /blocked by CORS policy/.test(m.text()),
        timeout: waitMs,
      });
      const { result, pipelineStatus } = await runPage(page, denied.origin, t.url);
      assert.deepEqual(result.error, { name: "TypeError", message: "Failed to fetch" });
      assert.equal(result.pipeline, undefined);
      assert.equal(pipelineStatus, "error: Failed to fetch");
      const message = (await blocked).text();
      assert.ok(message.includes(`from origin '${denied.origin}'`), message);
      assert.match(message, /preflight/);
    } finally {
      await context.close();
    }
    // The preflight was refused, so the pipeline request itself never came.
    const now = await t.clients("connect").ottoscaler.listPipelines({});
    assert.equal(now.pipelines.length, before.pipelines.length);
  });
});

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import http2 from "node:http2";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { startTestServer, type TestServer } from "../testing/test-server.ts";

const run = promisify(execFile);
const protoRoot = path.resolve(import.meta.dirname, "../../proto");

/** curl, returning the HTTP status line's code, the headers and the body. */
async function curl(args: string[]): Promise<{ status: number; headers: string; body: string }> {
  const { stdout } = await run("curl", ["-sS", "-i", "--max-time", "10", ...args]);
  const split = stdout.indexOf("\r\n\r\n");
  const headers = stdout.slice(0, split);
  return {
    status: Number(headers.split(" ")[1]),
    headers: headers.toLowerCase(),
    body: stdout.slice(split + 4),
  };
}

interface GrpcClient extends grpc.Client {
  getWorkerStatus(
    req: object,
    cb: (err: grpc.ServiceError | null, res: { workers: unknown[] }) => void,
  ): void;
  executePipeline(req: object): grpc.ClientReadableStream<{ status: string; stageId: string }>;
}

describe("real peers on the one port", () => {
  let t: TestServer;
  let client: GrpcClient;

  before(async () => {
    t = await startTestServer({ OTTOSCALER_CORS_ORIGINS: "http://dashboard.test" });
    const definition = protoLoader.loadSync("ottoscaler/v1/ottoscaler.proto", {
      includeDirs: [protoRoot],
      enums: String,
      defaults: true,
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      ottoscaler: {
        v1: { OttoscalerService: new (addr: string, creds: grpc.ChannelCredentials) => GrpcClient };
      };
    };
    client = new pkg.ottoscaler.v1.OttoscalerService(
      `127.0.0.1:${t.server.port}`,
      grpc.credentials.createInsecure(),
    );
  });
  after(async () => {
    client.close();
    await t[Symbol.asyncDispose]();
  });

  it("serves a @grpc/grpc-js client, unary and streaming", async () => {
    const res = await new Promise<{ workers: unknown[] }>((resolve, reject) =>
      client.getWorkerStatus({}, (err, r) => (err ? reject(err) : resolve(r))),
    );
    assert.deepEqual(res.workers, []);
    const statuses: string[] = [];
    const stream = client.executePipeline({ stages: [{ id: "hello", command: ["echo hello"] }] });
    for await (const event of stream) statuses.push(`${event.stageId}:${event.status}`);
    assert.equal(statuses.at(-1), ":PIPELINE_STATUS_SUCCEEDED");
    assert.ok(statuses.includes("hello:PIPELINE_STATUS_RUNNING"));
  });

  it("gives a grpc-js client INVALID_ARGUMENT with the field for a bad pipeline", async () => {
    const stream = client.executePipeline({ stages: [] });
    await assert.rejects(
      (async () => {
        for await (const _ of stream) {
          // drain
        }
      })(),
      // grpc-js unescapes grpc-message with decodeURI, which leaves "%3A" for ":";
      // the gRPC spec (and grpc-go, grpcio) percent-decode it all.
      (e: grpc.ServiceError) =>
        e.code === grpc.status.INVALID_ARGUMENT &&
        /^stages: a pipeline needs at least one stage$/.test(decodeURIComponent(e.details)),
    );
  });

  it("answers curl --json over HTTP/1.1 and over HTTP/2 with prior knowledge", async () => {
    const url = `${t.url}/ottoscaler.v1.OttoscalerService/GetWorkerStatus`;
    for (const extra of [[], ["--http2-prior-knowledge"]]) {
      const res = await curl([...extra, "--json", "{}", url]);
      assert.equal(res.status, 200, res.body);
      assert.match(res.headers, /content-type: application\/json/);
      const body = JSON.parse(res.body) as { workers?: { phase: string }[] };
      assert.equal(body.workers?.[0]?.phase, "WORKER_PHASE_SUCCEEDED");
    }
  });

  it("rejects a body that is not the message with invalid_argument, and keeps serving", async () => {
    const url = `${t.url}/ottoscaler.v1.OttoscalerService/GetWorkerStatus`;
    const json = await curl(["--json", "{not json", url]);
    assert.equal(json.status, 400);
    assert.equal(JSON.parse(json.body).code, "invalid_argument");
    const binary = await curl([
      "-H",
      "content-type: application/proto",
      "--data-binary",
      "\xff\xff\xff\xff garbage",
      url,
    ]);
    assert.equal(binary.status, 400);
    assert.equal(JSON.parse(binary.body).code, "invalid_argument");
    const wrongField = await curl(["--json", '{"taskId": 5}', url]);
    assert.equal(JSON.parse(wrongField.body).code, "invalid_argument");
    assert.equal((await curl(["--json", "{}", url])).status, 200);
  });

  it("answers a garbage gRPC and gRPC-Web frame with InvalidArgument (status 3)", async () => {
    const garbage = Buffer.from([0, 0, 0, 0, 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    const session = http2.connect(t.url);
    const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      const stream = session.request({
        ":method": "POST",
        ":path": "/ottoscaler.v1.OttoscalerService/GetWorkerStatus",
        "content-type": "application/grpc",
        te: "trailers",
      });
      stream.on("trailers", resolve);
      stream.on("error", reject);
      stream.resume();
      stream.end(garbage);
    });
    session.close();
    assert.equal(trailers["grpc-status"], "3");
    assert.match(
      decodeURIComponent(String(trailers["grpc-message"])),
      /not a valid ottoscaler.v1.WorkerStatusRequest/,
    );
    const web = await fetch(`${t.url}/ottoscaler.v1.OttoscalerService/GetWorkerStatus`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
      body: garbage,
    });
    const body = Buffer.from(await web.arrayBuffer());
    assert.match(body.toString("latin1"), /grpc-status: ?3/);
  });

  it("answers CORS preflights for allowed origins only", async () => {
    const url = `${t.url}/ottoscaler.v1.OttoscalerService/GetWorkerStatus`;
    const preflight = (origin: string) =>
      curl([
        "-X",
        "OPTIONS",
        "-H",
        `origin: ${origin}`,
        "-H",
        "access-control-request-method: POST",
        "-H",
        "access-control-request-headers: content-type,x-grpc-web",
        url,
      ]);
    const allowed = await preflight("http://dashboard.test");
    assert.equal(allowed.status, 204);
    assert.match(allowed.headers, /access-control-allow-origin: http:\/\/dashboard.test/);
    assert.match(allowed.headers, /access-control-allow-headers: .*x-grpc-web/);
    const denied = await preflight("http://evil.test");
    assert.equal(denied.status, 403);
    assert.doesNotMatch(denied.headers, /access-control-allow-origin/);
  });

  it("answers the standard grpc.health.v1 Check to a grpc-js client", async () => {
    const definition = protoLoader.loadSync("grpc/health/v1/health.proto", {
      includeDirs: [protoRoot],
      enums: String,
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      grpc: {
        health: {
          v1: { Health: new (addr: string, creds: grpc.ChannelCredentials) => grpc.Client };
        };
      };
    };
    const health = new pkg.grpc.health.v1.Health(
      `127.0.0.1:${t.server.port}`,
      grpc.credentials.createInsecure(),
    ) as grpc.Client & {
      check(
        req: object,
        cb: (err: grpc.ServiceError | null, res: { status: string }) => void,
      ): void;
    };
    const check = (service: string) =>
      new Promise<{ status: string }>((resolve, reject) =>
        health.check({ service }, (err, res) => (err ? reject(err) : resolve(res))),
      );
    assert.equal((await check("")).status, "SERVING");
    assert.equal((await check("ottoscaler.v1.OttoscalerService")).status, "SERVING");
    await assert.rejects(check("nope"), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND);
    health.close();
  });

  it("reports health on /healthz and /readyz", async () => {
    assert.equal((await curl([`${t.url}/healthz`])).status, 200);
    assert.equal((await curl([`${t.url}/readyz`])).status, 200);
  });
});

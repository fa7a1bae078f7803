import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { noPythonGrpc, python } from "../testing/python-grpc.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";

const run = promisify(execFile);
const script = path.join(import.meta.dirname, "testdata", "python_unknown_method.py");
const unknown = "/ottoscaler.v1.OttoscalerService/NoSuchMethod";
const expected = `unknown method ${unknown}: not served here`;

describe("a method the server does not serve", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it("grpc-js gets UNIMPLEMENTED with a message (HTTP 200, trailers-only)", async () => {
    const client = new grpc.Client(`127.0.0.1:${t.server.port}`, grpc.credentials.createInsecure());
    try {
      const error = await new Promise<grpc.ServiceError | null>((resolve) => {
        client.makeUnaryRequest(
          unknown,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          (e) => resolve(e),
        );
      });
      assert.equal(error?.code, grpc.status.UNIMPLEMENTED);
      assert.equal(error?.details, expected);
    } finally {
      client.close();
    }
  });

  it("python3-grpcio gets UNIMPLEMENTED with a message", { skip: noPythonGrpc }, async () => {
    const { stdout } = await run(python, [script, `127.0.0.1:${t.server.port}`, unknown], {
      timeout: 30_000,
    });
    assert.equal(stdout.trimEnd(), `UNIMPLEMENTED ${expected}`);
  });

  it("gRPC-Web over HTTP/1.1 gets HTTP 200 with grpc-status 12 in the headers", async () => {
    const res = await fetch(`${t.url}${unknown}`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto" },
      body: new Uint8Array(5),
    });
    await res.arrayBuffer();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("grpc-status"), "12");
    assert.equal(decodeURIComponent(res.headers.get("grpc-message") ?? ""), expected);
  });

  it("Connect/JSON gets a 404 whose body says the method is unknown", async () => {
    const res = await fetch(`${t.url}${unknown}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { code: "unimplemented", message: expected });
  });

  it("a known method with a wrong content type is told the content types that work", async () => {
    const res = await fetch(`${t.url}/ottoscaler.v1.OttoscalerService/GetWorkerStatus`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    assert.equal(res.status, 415);
    const text = await res.text();
    assert.match(
      text,
      /content type "text\/plain" is not served for \/ottoscaler\.v1\.OttoscalerService\/GetWorkerStatus/,
    );
    for (const type of [
      "application/grpc",
      "application/grpc-web",
      "application/json",
      "application/proto",
    ]) {
      assert.ok(text.includes(type), text);
    }
  });
});

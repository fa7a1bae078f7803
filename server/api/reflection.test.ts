import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { copyFile, mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { methodPaths } from "../testing/grpc-js.ts";
import { noPythonGrpc, python } from "../testing/python-grpc.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const buf = path.join(root, "node_modules/.bin/buf");
const noProtoc =
  spawnSync("protoc", ["--version"], { stdio: "ignore" }).status === 0
    ? false
    : "protoc is missing: apt-get install protobuf-compiler python3-protobuf (CI installs them)";

describe("gRPC server reflection", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  for (const protocol of ["grpc-v1", "grpc-v1alpha"]) {
    it(`buf curl --reflect --list-methods lists every served method (${protocol})`, async () => {
      const { stdout } = await run(buf, [
        "curl",
        "--reflect",
        "--reflect-protocol",
        protocol,
        "--list-methods",
        "--http2-prior-knowledge",
        t.url,
      ]);
      assert.deepEqual(stdout.trimEnd().split("\n").sort(), [...methodPaths].sort());
    });
  }

  it("buf curl calls a method it knows by reflection only", async () => {
    const { stdout } = await run(buf, [
      "curl",
      "--http2-prior-knowledge",
      "--data",
      JSON.stringify({ pipelineId: "by-reflection", stages: [{ id: "hi", command: ["echo hi"] }] }),
      `${t.url}/ottoscaler.v1.OttoscalerService/ExecutePipeline`,
    ]);
    // One JSON object per message, as buf curl prints them.
    const messages = stdout
      .trim()
      .split(/\n(?=\{)/)
      .map((m) => JSON.parse(m) as { status?: string; pipelineId: string });
    assert.ok(messages.every((m) => m.pipelineId === "by-reflection"));
    assert.equal(messages.at(-1)?.status, "PIPELINE_STATUS_SUCCEEDED");
  });

  it("python3-grpcio reads a descriptor by reflection with messages Debian's protoc made", {
    skip: noPythonGrpc || noProtoc,
  }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-reflection-py-"));
    // Under a name of its own: a generated grpc/ package would hide grpcio's.
    await copyFile(
      path.join(root, "proto/grpc/reflection/v1/reflection.proto"),
      path.join(dir, "reflection_v1.proto"),
    );
    await run("protoc", [`-I${dir}`, `--python_out=${dir}`, path.join(dir, "reflection_v1.proto")]);
    const { stdout } = await run(
      python,
      [
        path.join(import.meta.dirname, "testdata", "python_reflection.py"),
        dir,
        `127.0.0.1:${t.server.port}`,
        "ottoscaler.v1.OttoscalerService",
      ],
      { timeout: 30_000 },
    );
    const lines = stdout.trimEnd().split("\n");
    const services = lines.filter((l) => l.startsWith("service ")).map((l) => l.slice(8));
    assert.deepEqual(services, [...new Set(methodPaths.map((m) => m.split("/")[0]))].sort());
    assert.ok(
      lines.includes(
        "method ExecutePipeline ottoscaler.v1.PipelineRequest ottoscaler.v1.PipelineProgress",
      ),
      stdout,
    );
    assert.ok(
      lines.includes(
        "method GetWorkerStatus ottoscaler.v1.WorkerStatusRequest ottoscaler.v1.WorkerStatusResponse",
      ),
      stdout,
    );
  });
});

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  PipelineProgressSchema,
  PipelineRequestSchema,
  PipelineStatus,
} from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { WorkerPhase, WorkerStatusResponseSchema } from "../../gen/ottoscaler/v1/worker_pb.js";
import { noPythonGrpc, python } from "../testing/python-grpc.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";

const run = promisify(execFile);
const script = path.join(import.meta.dirname, "testdata", "python_peer.py");

describe("a Python grpcio peer without generated stubs", {
  skip: noPythonGrpc,
}, () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it("streams a pipeline, answers a unary call and reports INVALID_ARGUMENT percent-decoded", async () => {
    const request = create(PipelineRequestSchema, {
      pipelineId: "from-python",
      stages: [
        { id: "hello", command: ["echo hello from python"], env: { GREETING: "hi" } },
        { id: "world", command: ["echo", "world"], dependsOn: ["hello"] },
      ],
    });
    const hex = Buffer.from(toBinary(PipelineRequestSchema, request)).toString("hex");
    const { stdout } = await run(python, [script, `127.0.0.1:${t.server.port}`, hex], {
      timeout: 60_000,
    });
    const lines = stdout.trimEnd().split("\n");
    const field = (line: string) => line.slice(line.indexOf(" ") + 1);
    const kinds = lines.map((line) => line.split(" ")[0]);
    const progressCount = kinds.filter((k) => k === "progress").length;
    assert.deepEqual(
      kinds,
      [...Array(progressCount).fill("progress"), "worker-status", "error"],
      stdout,
    );

    // ExecutePipeline (unary_stream): each message's bytes on a line of its own.
    const events = lines
      .filter((line) => line.startsWith("progress "))
      .map((line) => fromBinary(PipelineProgressSchema, Buffer.from(field(line), "hex")));
    assert.ok(events.every((e) => e.pipelineId === "from-python"));
    assert.deepEqual(
      events.map((e) => e.sequence),
      events.map((_, i) => BigInt(i + 1)),
    );
    const statuses = events.map((e) => `${e.stageId}:${PipelineStatus[e.status]}`);
    const helloDone = statuses.indexOf("hello:SUCCEEDED");
    assert.ok(helloDone >= 0, statuses.join(" "));
    assert.ok(statuses.indexOf("world:RUNNING") > helloDone, statuses.join(" "));
    const last = events.at(-1);
    assert.equal(last?.stageId, "");
    assert.equal(last?.status, PipelineStatus.SUCCEEDED);
    assert.equal(last?.completedStages, 2);
    assert.equal(last?.totalStages, 2);

    // GetWorkerStatus (unary_unary) with an empty request: the pipeline's two workers.
    const status = fromBinary(
      WorkerStatusResponseSchema,
      Buffer.from(field(lines.at(-2) ?? ""), "hex"),
    );
    assert.deepEqual(
      status.workers.map((w) => [w.pipelineId, w.stageId, WorkerPhase[w.phase]]).sort(),
      [
        ["from-python", "hello", "SUCCEEDED"],
        ["from-python", "world", "SUCCEEDED"],
      ],
    );

    // grpcio percent-decodes grpc-message in full, ":" included.
    assert.equal(
      lines.at(-1),
      "error INVALID_ARGUMENT stages: a pipeline needs at least one stage",
    );
  });
});

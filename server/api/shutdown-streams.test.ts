import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { PipelineProgressSchema, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { WorkerEventType } from "../../gen/ottoscaler/v1/worker_pb.js";
import { GatedExecutor } from "../testing/gated-executor.ts";
import { protocols, startTestServer } from "../testing/test-server.ts";

/** Reads a stream to its end and returns what it read and how it ended. */
async function readToEnd<T>(stream: AsyncIterable<T>): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of stream) items.push(item);
  } catch (error) {
    return { items, error };
  }
  return { items, error: undefined };
}

function assertShuttingDown(error: unknown): void {
  assert.ok(error instanceof ConnectError, `a ConnectError, not ${String(error)}`);
  assert.equal(error.code, Code.Unavailable, error.message);
  assert.match(error.rawMessage, /shutting down; retry/);
}

/** The stream, read until `until` holds for an item: the call is open on the server by then. */
async function openedAt<T>(
  stream: AsyncIterable<T>,
  until: (item: T) => boolean,
): Promise<AsyncIterable<T>> {
  const iterator = stream[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    assert.ok(next.done !== true, "the stream ended before it was open");
    if (until(next.value)) return { [Symbol.asyncIterator]: () => iterator };
  }
}

describe("streams open at shutdown", () => {
  for (const protocol of protocols) {
    it(`end UNAVAILABLE, a retryable code, and the pipeline goes on (${protocol})`, async () => {
      const executor = new GatedExecutor();
      const server = await startTestServer({}, { executor });
      const { ottoscaler, logs } = server.clients(protocol);
      const gateRunning = (e: { stageId: string; status: PipelineStatus }) =>
        e.stageId === "gate" && e.status === PipelineStatus.RUNNING;
      const execute = await openedAt(
        ottoscaler.executePipeline({
          pipelineId: "held",
          stages: [{ id: "gate", command: ["x"] }],
        }),
        gateRunning,
      );
      await executor.gateReached();
      const streams = await Promise.all([
        execute,
        openedAt(ottoscaler.watchWorkers({}), (e) => e.type === WorkerEventType.SYNCED),
        openedAt(ottoscaler.watchPipeline({ pipelineId: "held" }), gateRunning),
        openedAt(logs.streamBuildLogs({ pipelineId: "held", follow: true }), () => true),
      ]);
      const ends = streams.map((stream) => readToEnd<unknown>(stream));
      const shutdown = server.app.shutdown("server shutting down");
      // As on Kubernetes: the run is left for the next controller, not cancelled.
      const left = server.app.engine.shutdown("server shutting down", { leaveRunning: true });
      await Promise.all([server.server.close(), shutdown, left]);
      for (const { items, error } of await Promise.all(ends)) {
        assert.ok(
          !items.some((e) => isMessage(e, PipelineProgressSchema) && e.stageId === ""),
          "no pipeline event after the gate: the pipeline was not ended",
        );
        assertShuttingDown(error);
      }
      await server[Symbol.asyncDispose]();
    });
  }
});

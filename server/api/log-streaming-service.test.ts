import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { LogStream, LogStreamingService } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";
import { createApp } from "../app.ts";
import { loadConfig } from "../config/config.ts";
import { MemoryExecutor } from "../executor/memory/memory-executor.ts";
import { silentLogger } from "../observability/logger.ts";
import { tempDataDir } from "../testing/data-dir.ts";
import { collect } from "../testing/test-server.ts";
import { routes } from "./routes.ts";

function inProcess(env: Record<string, string>) {
  const executor = new MemoryExecutor(() => ({
    lines: Array.from({ length: 30 }, (_, i) => `line ${i + 1}`),
  }));
  const app = createApp(loadConfig({ OTTOSCALER_DATA_DIR: tempDataDir(), ...env }), {
    executor,
    logger: silentLogger,
  });
  const transport = createRouterTransport(routes(app));
  return {
    app,
    ottoscaler: createClient(OttoscalerService, transport),
    logs: createClient(LogStreamingService, transport),
  };
}

describe("LogStreamingService", () => {
  it("replays lines older than the in-memory cache from the build's journal", async () => {
    const { ottoscaler, logs } = inProcess({
      OTTOSCALER_LOG_MAX_LINES_PER_WORKER: "10",
      OTTOSCALER_LOG_MAX_LINES_PER_BUILD: "7",
    });
    await collect(
      ottoscaler.executePipeline({ pipelineId: "big", stages: [{ id: "s", command: ["x"] }] }),
    );
    const expected = Array.from({ length: 30 }, (_, i) => [i + 1, `line ${i + 1}`]);
    const worker = await collect(logs.streamWorkerLogs({ workerId: "big.s.a1.w0" }));
    assert.deepEqual(
      worker.map((e) => [Number(e.sequence), e.line]),
      expected,
    );
    const build = await collect(logs.streamBuildLogs({ pipelineId: "big" }));
    assert.deepEqual(
      build.map((e) => [Number(e.entry?.sequence), e.entry?.line]),
      expected,
    );
  });

  it("says how many lines are missing when neither the cache nor the journal has them", async () => {
    const { app, ottoscaler, logs } = inProcess({ OTTOSCALER_LOG_MAX_LINES_PER_WORKER: "10" });
    await collect(
      ottoscaler.executePipeline({ pipelineId: "lost", stages: [{ id: "s", command: ["x"] }] }),
    );
    // The journal is gone (a disk lost, say): only the cached newest 10 lines are left.
    await rm(path.join(app.config.dataDir, "builds", "pipeline", "lost", "journal"));
    const entries = await collect(logs.streamWorkerLogs({ workerId: "lost.s.a1.w0" }));
    const [marker, ...rest] = entries;
    assert.equal(marker?.stream, LogStream.SYSTEM);
    assert.equal(marker?.droppedLines, 20n);
    assert.match(marker?.line ?? "", /20 line\(s\) missing/);
    assert.deepEqual(
      rest.map((e) => Number(e.sequence)),
      Array.from({ length: 10 }, (_, i) => 21 + i),
    );
  });

  it("answers NotFound for an unknown worker, pipeline or stage", async () => {
    const { ottoscaler, logs } = inProcess({});
    await collect(
      ottoscaler.executePipeline({ pipelineId: "known", stages: [{ id: "s", command: ["x"] }] }),
    );
    const notFound = async (p: Promise<unknown>, pattern: RegExp) =>
      assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof ConnectError);
        assert.equal(e.code, Code.NotFound);
        assert.match(e.rawMessage, pattern);
        return true;
      });
    await notFound(
      collect(logs.streamWorkerLogs({ workerId: "nope" })),
      /workerId: no worker "nope"/,
    );
    await notFound(
      collect(logs.streamBuildLogs({ pipelineId: "nope" })),
      /pipelineId: no pipeline/,
    );
    await notFound(
      collect(logs.streamBuildLogs({ pipelineId: "known", stageId: "other" })),
      /stageId: pipeline "known" has no stage "other"/,
    );
  });
});

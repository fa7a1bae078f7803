import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { loadConfig } from "../config/config.ts";
import { pipelineSpecOf } from "../resources/pipeline-run-spec.ts";
import { tempDataDir } from "../testing/data-dir.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import { collect, startTestServer, type TestServer } from "../testing/test-server.ts";

const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";

describe("the traceparent of the request that started a pipeline", () => {
  const recorded = recordingLogger();
  let t: TestServer;
  before(async () => {
    t = await startTestServer({}, { logger: recorded.logger });
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it("is every worker's TRACEPARENT, and the controller's lines for the pipeline carry its trace id", async () => {
    const { ottoscaler, logs } = t.clients("grpc");
    const events = await collect(
      ottoscaler.executePipeline(
        {
          pipelineId: "traced",
          stages: [
            { id: "a", workers: 2, command: ['echo "$TRACEPARENT"'] },
            { id: "b", command: ['echo "$TRACEPARENT"'], dependsOn: ["a"] },
          ],
        },
        { headers: { traceparent } },
      ),
    );
    assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED);
    const lines = (await collect(logs.streamBuildLogs({ pipelineId: "traced" }))).map(
      (e) => e.entry?.line,
    );
    assert.deepEqual(lines, [traceparent, traceparent, traceparent]);
    const mine = recorded
      .text()
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { event: string; pipelineId?: string; traceId?: string })
      .filter((l) => l.pipelineId === "traced");
    assert.deepEqual([...new Set(mine.map((l) => l.event))].sort(), [
      "audit",
      "pipelineFinished",
      "pipelineStarted",
      "stageFinished",
    ]);
    assert.ok(
      mine.every((l) => l.traceId === traceId),
      JSON.stringify(mine),
    );
  });

  it("is left out when it is not a valid traceparent", async () => {
    const { ottoscaler, logs } = t.clients("connect");
    await collect(
      ottoscaler.executePipeline(
        { pipelineId: "untraced", stages: [{ id: "a", command: ['echo "[$TRACEPARENT]"'] }] },
        { headers: { traceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01" } },
      ),
    );
    const lines = (await collect(logs.streamBuildLogs({ pipelineId: "untraced" }))).map(
      (e) => e.entry?.line,
    );
    assert.deepEqual(lines, ["[]"]);
  });
});

it("a PipelineRun's spec keeps the traceparent: a controller continuing the run passes it on", () => {
  const limits = loadConfig({ OTTOSCALER_DATA_DIR: tempDataDir() });
  const spec = pipelineSpecOf(
    {
      apiVersion: "ottoscaler.io/v1alpha1",
      kind: "PipelineRun",
      metadata: { name: "continued", uid: "0123456789" },
      spec: { pipeline: { stages: [{ id: "a", command: ["true"] }] }, traceparent },
    },
    limits,
  );
  assert.equal(spec.traceparent, traceparent);
});

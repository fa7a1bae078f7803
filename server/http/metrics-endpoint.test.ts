import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { parseMetrics, sampleSum, scrape } from "../testing/metrics-text.ts";
import { collect, startTestServer, type TestServer } from "../testing/test-server.ts";
import { roleTokens } from "../testing/tokens.ts";

const service = "ottoscaler.v1.OttoscalerService";

describe("/metrics", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it("counts pipelines, stages, log lines and RPCs by code; an unknown method as unknown", async () => {
    const { ottoscaler } = t.clients("connect");
    await collect(
      ottoscaler.executePipeline({
        pipelineId: "metrics-ok",
        stages: [
          { id: "a", command: ["echo one; echo two"] },
          { id: "b", command: ["echo three >&2"], dependsOn: ["a"] },
        ],
      }),
    );
    await collect(
      ottoscaler.executePipeline({
        pipelineId: "metrics-bad",
        stages: [{ id: "a", command: ["exit 3"] }],
      }),
    );
    await assert.rejects(
      collect(ottoscaler.executePipeline({})),
      (e) => ConnectError.from(e).code === Code.InvalidArgument,
    );
    await fetch(`${t.url}/no.such.Service/Nothing`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const samples = await scrape(t.url);
    const value = (name: string, labels: Record<string, string> = {}) =>
      sampleSum(samples, name, labels);
    assert.equal(value("ottoscaler_pipelines_total", { status: "SUCCEEDED" }), 1);
    assert.equal(value("ottoscaler_pipelines_total", { status: "FAILED" }), 1);
    assert.equal(value("ottoscaler_stages_total", { status: "SUCCEEDED" }), 2);
    assert.equal(value("ottoscaler_stages_total", { status: "FAILED" }), 1);
    assert.equal(value("ottoscaler_stage_duration_seconds_count"), 3);
    assert.equal(value("ottoscaler_stage_transition_seconds_count"), 1);
    assert.equal(value("ottoscaler_log_lines_total", { stream: "stdout" }), 2);
    assert.equal(value("ottoscaler_log_lines_total", { stream: "stderr" }), 1);
    assert.equal(value("ottoscaler_log_bytes_total"), "onetwothree".length);
    assert.equal(value("ottoscaler_slot_wait_seconds_count"), 3);
    assert.equal(value("ottoscaler_workers", { phase: "SUCCEEDED", executor: "local" }), 2);
    assert.equal(value("ottoscaler_workers", { phase: "FAILED", executor: "local" }), 1);
    assert.equal(value("ottoscaler_slots_used"), 0);
    assert.ok(value("ottoscaler_slots_capacity") > 0);
    assert.ok(value("ottoscaler_journal_append_seconds_count") > 0);
    assert.ok(value("ottoscaler_journal_bytes") > 0);
    const rpc = { service, method: "ExecutePipeline", protocol: "connect" };
    assert.equal(value("ottoscaler_rpcs_total", { ...rpc, code: "ok" }), 2);
    assert.equal(value("ottoscaler_rpcs_total", { ...rpc, code: "invalid_argument" }), 1);
    assert.equal(value("ottoscaler_rpc_duration_seconds_count", rpc), 3);
    assert.equal(value("ottoscaler_open_streams", { service, method: "ExecutePipeline" }), 0);
    assert.equal(
      value("ottoscaler_rpcs_total", {
        service: "unknown",
        method: "unknown",
        code: "unimplemented",
      }),
      1,
    );
    assert.ok(!samples.some((s) => Object.values(s.labels).some((v) => v.includes("no.such"))));
    // Process metrics, as prom-client collects them.
    assert.ok(value("ottoscaler_process_resident_memory_bytes") > 0);
    assert.ok(samples.some((s) => s.name === "ottoscaler_nodejs_eventloop_lag_seconds"));
  });

  it("a stream open now is counted open", async () => {
    const { ottoscaler } = t.clients("grpc");
    const controller = new AbortController();
    const watch = ottoscaler
      .watchWorkers({}, { signal: controller.signal })
      [Symbol.asyncIterator]();
    // WatchWorkers sends the current workers first: once one is here, the stream is open.
    await watch.next();
    const open = sampleSum(await scrape(t.url), "ottoscaler_open_streams", {
      method: "WatchWorkers",
    });
    controller.abort();
    await watch.next().catch(() => undefined);
    assert.equal(open, 1);
  });
});

describe("/metrics with authentication on", () => {
  const { file, token } = roleTokens();
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ OTTOSCALER_AUTH: "tokens", OTTOSCALER_TOKENS_FILE: file });
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it("takes a viewer's token; without one, 401", async () => {
    const res = await fetch(`${t.url}/metrics`);
    assert.equal(res.status, 401, await res.text());
    const bad = await fetch(`${t.url}/metrics`, { headers: { authorization: "Bearer nope" } });
    assert.equal(bad.status, 401, await bad.text());
    assert.ok(
      (await scrape(t.url, token.viewer)).some((s) => s.name === "ottoscaler_slots_capacity"),
    );
  });
});

describe("/metrics turned off", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ OTTOSCALER_METRICS: "false" });
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it("is not served, and RPCs are not counted", async () => {
    await t.clients("connect").ottoscaler.getWorkerStatus({});
    const res = await fetch(`${t.url}/metrics`);
    assert.equal(res.status, 404);
    await res.text();
    const samples = parseMetrics(await t.app.metrics.registry.metrics());
    assert.equal(sampleSum(samples, "ottoscaler_rpcs_total"), 0);
  });
});

it("the README lists every metric the server registers", async () => {
  const readme = await readFile(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
  const listed = readme.slice(readme.indexOf("## Metrics"), readme.indexOf("## Configuration"));
  await using t = await startTestServer();
  const names = (await t.app.metrics.registry.getMetricsAsJSON())
    .map((m) => m.name)
    .filter((name) => !/^ottoscaler_(process|nodejs)_/.test(name));
  assert.ok(names.length > 20);
  assert.deepEqual(
    names.filter((name) => !listed.includes(`\`${name}\``)),
    [],
  );
});

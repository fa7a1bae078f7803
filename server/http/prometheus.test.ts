import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { parse, parseAllDocuments, stringify } from "yaml";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { loadPipelineFile } from "../cli/pipeline-file.ts";
import { type HandlerProcess, startHandler } from "../dev/otto-handler/handler-process.ts";
import { caughtUp, forwardingWhen } from "../testing/forwarding-status.ts";
import {
  eventually,
  noPrometheus,
  type PrometheusProcess,
  promtoolBinary,
  startPrometheus,
} from "../testing/prometheus.ts";
import { collect, startTestServer, type TestServer } from "../testing/test-server.ts";
import { roleTokens } from "../testing/tokens.ts";

const run = promisify(execFile);
const monitoring = path.resolve(import.meta.dirname, "../../manifests/monitoring");
const ruleFile = path.join(monitoring, "ottoscaler-rules.yaml");

type RuleGroups = { groups: { name: string; rules: { alert: string; for?: string }[] }[] };

it("the PrometheusRule and the ServiceMonitor parse; the PrometheusRule holds the rule file's groups", async () => {
  const plain = parse(await readFile(ruleFile, "utf8")) as RuleGroups;
  const rule = parse(await readFile(path.join(monitoring, "prometheusrule.yaml"), "utf8"));
  assert.equal(rule.kind, "PrometheusRule");
  assert.deepEqual(rule.spec, plain);
  const monitor = parseAllDocuments(
    await readFile(path.join(monitoring, "servicemonitor.yaml"), "utf8"),
  );
  assert.deepEqual(
    monitor.map((d) => d.toJS().kind),
    ["ServiceMonitor"],
  );
  assert.deepEqual(monitor[0]?.toJS().spec.endpoints[0], {
    port: "http",
    path: "/metrics",
    interval: "30s",
  });
  const kustomization = parse(await readFile(path.join(monitoring, "kustomization.yaml"), "utf8"));
  assert.deepEqual(kustomization.resources, ["servicemonitor.yaml", "prometheusrule.yaml"]);
});

describe("a real Prometheus scraping the server", { skip: noPrometheus }, () => {
  const { file, token } = roleTokens();
  const [viewerToken = "", operatorToken = ""] = [token.viewer, token.operator];
  let dir: string;
  let handler: HandlerProcess;
  let t: TestServer;
  let prometheus: PrometheusProcess;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-prometheus-test-"));
    handler = await startHandler(["--out", path.join(dir, "delivered.jsonl")]);
    t = await startTestServer({
      OTTOSCALER_AUTH: "tokens",
      OTTOSCALER_TOKENS_FILE: file,
      OTTOSCALER_MAX_WORKERS: "2",
      OTTO_HANDLER_URL: `http://127.0.0.1:${handler.port}`,
    });
    // The alerts as written wait minutes before firing (`for`); this copy fires at once.
    const rules = parse(await readFile(ruleFile, "utf8")) as RuleGroups;
    for (const group of rules.groups) for (const rule of group.rules) rule.for = "0s";
    const atOnce = path.join(dir, "rules-now.yaml");
    await writeFile(atOnce, stringify(rules));
    prometheus = await startPrometheus({
      target: `127.0.0.1:${t.server.port}`,
      token: viewerToken,
      ruleFiles: [ruleFile, atOnce],
    });
  });
  after(async () => {
    await prometheus?.[Symbol.asyncDispose]();
    await t?.[Symbol.asyncDispose]();
    await handler?.[Symbol.asyncDispose]();
  });

  it("promtool check rules passes on the rule file", async () => {
    const { stdout } = await run(promtoolBinary, ["check", "rules", ruleFile]);
    assert.match(stdout, /SUCCESS: 6 rules found/);
  });

  it("has the pipeline, stage, RPC and forwarding values the test caused, and fires an alert", async () => {
    const operator = t.clients("grpc", { token: operatorToken });
    const full = await loadPipelineFile(
      path.resolve(import.meta.dirname, "../../examples/full.yaml"),
    );
    const fullEvents = await collect(
      operator.ottoscaler.executePipeline({ ...full, pipelineId: "prom-full" }),
    );
    assert.equal(fullEvents.at(-1)?.status, PipelineStatus.SUCCEEDED);
    const failing = await collect(
      operator.ottoscaler.executePipeline({
        pipelineId: "prom-failing",
        stages: [
          { id: "build", command: ["echo building"] },
          { id: "test", command: ["echo failing >&2; exit 1"], dependsOn: ["build"] },
          { id: "deploy", command: ["echo never"], dependsOn: ["test"] },
        ],
      }),
    );
    assert.equal(failing.at(-1)?.status, PipelineStatus.FAILED);
    // A viewer may not start pipelines: one PermissionDenied, counted by its code.
    const viewer = t.clients("connect", { token: viewerToken });
    await assert.rejects(
      collect(
        viewer.ottoscaler.executePipeline({
          pipelineId: "nope",
          stages: [{ id: "a", command: ["true"] }],
        }),
      ),
    );
    const forwarded = await forwardingWhen(operator.logs, caughtUp(), 60_000);

    const value = async (expr: string) => {
      const [sample] = await prometheus.query(expr);
      return sample === undefined ? undefined : Number(sample.value[1]);
    };
    // Counters land in the next scrape: wait for the last one the test caused.
    const acked = Number(forwarded.acknowledgedEntries);
    await eventually(
      () => value("sum(ottoscaler_forwarding_acked_entries_total)"),
      (v) => v === acked,
    );
    const stageCount = (status: string) =>
      value(`sum(ottoscaler_stage_duration_seconds_count{status="${status}"})`);
    assert.deepEqual(
      {
        succeeded: await value('ottoscaler_pipelines_total{status="SUCCEEDED"}'),
        failed: await value('ottoscaler_pipelines_total{status="FAILED"}'),
        stagesSucceeded: await stageCount("SUCCEEDED"),
        stagesFailed: await stageCount("FAILED"),
        stagesSkipped: await value('ottoscaler_stages_total{status="SKIPPED"}'),
        executeOk: await value(
          'sum(ottoscaler_rpcs_total{method="ExecutePipeline",code="ok",protocol="grpc"})',
        ),
        executeDenied: await value(
          'sum(ottoscaler_rpcs_total{method="ExecutePipeline",code="permission_denied",protocol="connect"})',
        ),
        lagEntries: await value("sum(ottoscaler_forwarding_lag_entries)"),
        failures: await value("sum(ottoscaler_forwarding_failures_total)"),
      },
      {
        succeeded: 1,
        failed: 1,
        // full.yaml's 6 stages and the failing pipeline's build.
        stagesSucceeded: 7,
        stagesFailed: 1,
        stagesSkipped: 1,
        executeOk: 2,
        executeDenied: 1,
        lagEntries: 0,
        failures: 0,
      },
    );
    assert.ok(acked > 0);

    // Every slot taken and workers waiting: OttoscalerSlotQueueGrowing fires.
    const controller = new AbortController();
    const blocked = collect(
      operator.ottoscaler.executePipeline(
        { pipelineId: "prom-queue", stages: [{ id: "wait", workers: 4, command: ["sleep 300"] }] },
        { signal: controller.signal },
      ),
    ).catch(() => undefined);
    const firing = await eventually(
      () => prometheus.alerts(),
      (alerts) =>
        alerts.some(
          (a) => a.labels.alertname === "OttoscalerSlotQueueGrowing" && a.state === "firing",
        ),
    );
    assert.deepEqual(
      firing.filter((a) => a.state === "firing").map((a) => a.labels.alertname),
      ["OttoscalerSlotQueueGrowing"],
    );
    await operator.ottoscaler.cancelPipeline({ pipelineId: "prom-queue" });
    controller.abort();
    await blocked;
  });
});

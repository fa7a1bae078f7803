import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { WorkerPhase } from "../../gen/ottoscaler/v1/worker_pb.js";
import { type App, createApp } from "../app.ts";
import { loadConfig } from "../config/config.ts";
import { defaultResources } from "../executor/executor.ts";
import { MemoryExecutor, type WorkerScript } from "../executor/memory/memory-executor.ts";
import { silentLogger } from "../observability/logger.ts";
import { tempDataDir } from "../testing/data-dir.ts";
import { PipelineRun } from "./pipeline-run.ts";
import type { PipelineSpec, StageSpec } from "./pipeline-spec.ts";

function engineWith(script: WorkerScript, env: Record<string, string> = {}) {
  const executor = new MemoryExecutor(script);
  const app = createApp(loadConfig({ OTTOSCALER_DATA_DIR: tempDataDir(), ...env }), {
    executor,
    logger: silentLogger,
  });
  return { app, executor };
}

function stage(id: string, extra: Partial<StageSpec> = {}): StageSpec {
  return {
    id,
    name: id,
    image: "busybox",
    command: ["true"],
    env: {},
    dependsOn: [],
    workers: 1,
    retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 },
    timeoutMs: 60_000,
    resources: defaultResources,
    ...extra,
  };
}

function pipeline(pipelineId: string, stages: StageSpec[]): PipelineSpec {
  return { pipelineId, name: pipelineId, stages };
}

function statuses(app: App, pipelineId: string): Record<string, string> {
  const summary = app.engine.get(pipelineId).summary();
  return Object.fromEntries(summary.stages.map((s) => [s.id, PipelineStatus[s.status]]));
}

describe("PipelineEngine", () => {
  it("runs a stage with more workers than the cap in waves, never over the cap", async () => {
    const { app, executor } = engineWith(() => ({ durationMs: 1 }), {
      OTTOSCALER_MAX_WORKERS: "7",
    });
    const run = app.engine.start(pipeline("waves", [stage("wide", { workers: 50 })]));
    assert.equal(await run.done, PipelineStatus.SUCCEEDED);
    assert.equal(executor.started.length, 50);
    assert.equal(executor.maxRunning, 7);
  });

  it("admits workers first come, first served across pipelines", async () => {
    const { app, executor } = engineWith(() => ({ durationMs: 1 }), {
      OTTOSCALER_MAX_WORKERS: "2",
    });
    const first = app.engine.start(pipeline("first", [stage("s", { workers: 6 })]));
    const second = app.engine.start(pipeline("second", [stage("s", { workers: 6 })]));
    await Promise.all([first.done, second.done]);
    const order = executor.started.map((s) => s.spec.pipelineId);
    assert.deepEqual(order.slice(0, 6), Array(6).fill("first"));
  });

  it("cannot deadlock: many wide pipelines under a tiny cap all finish", async () => {
    const { app } = engineWith(() => ({}), { OTTOSCALER_MAX_WORKERS: "1" });
    const runs = Array.from({ length: 20 }, (_, i) =>
      app.engine.start(
        pipeline(`p${i}`, [
          stage("a", { workers: 3 }),
          stage("b", { workers: 5, dependsOn: ["a"] }),
          stage("c", { workers: 2, dependsOn: ["a"] }),
          stage("d", { dependsOn: ["b", "c"] }),
        ]),
      ),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    assert.ok(results.every((s) => s === PipelineStatus.SUCCEEDED));
  });

  it("stops the other workers of a stage as soon as one fails", async () => {
    const { app, executor } = engineWith((spec) =>
      spec.index === 0 ? { exitCode: 2 } : { durationMs: Number.POSITIVE_INFINITY },
    );
    const run = app.engine.start(pipeline("fail-fast", [stage("s", { workers: 3 })]));
    assert.equal(await run.done, PipelineStatus.FAILED);
    assert.equal(executor.started.length, 3);
    const phases = app.registry.list({ pipelineId: "fail-fast" }).map((w) => WorkerPhase[w.phase]);
    assert.deepEqual(phases, ["FAILED", "STOPPED", "STOPPED"]);
  });

  it("cancels a pipeline waiting out a retry backoff without another attempt", async () => {
    const { app, executor } = engineWith(() => ({ exitCode: 1 }));
    const run = app.engine.start(
      pipeline("backoff", [
        stage("s", { retry: { maxAttempts: 5, initialBackoffMs: 60_000, maxBackoffMs: 60_000 } }),
      ]),
    );
    for await (const read of run.events.read({ follow: true })) {
      if ("item" in read && read.item.status === PipelineStatus.RETRYING) break;
    }
    await app.engine.cancel("backoff", "test");
    assert.equal(await run.done, PipelineStatus.CANCELLED);
    assert.equal(executor.started.length, 1);
    assert.deepEqual(statuses(app, "backoff"), { s: "CANCELLED" });
  });

  it("cancels workers still waiting for a slot without starting them", async () => {
    const { app, executor } = engineWith(() => ({ durationMs: Number.POSITIVE_INFINITY }), {
      OTTOSCALER_MAX_WORKERS: "1",
    });
    const run = app.engine.start(pipeline("queued", [stage("s", { workers: 4 })]));
    for await (const read of run.events.read({ follow: true })) {
      if ("item" in read && read.item.status === PipelineStatus.RUNNING && read.item.stageId) break;
    }
    await app.engine.cancel("queued", "test");
    assert.equal(await run.done, PipelineStatus.CANCELLED);
    assert.equal(executor.started.length, 1);
    const reasons = app.registry.list({ pipelineId: "queued" }).map((w) => w.reason);
    assert.deepEqual(reasons.slice(1), ["test", "test", "test"]);
  });

  it("refuses a second pipeline with the same id, and pipelines over the active limit", async () => {
    const { app } = engineWith(() => ({ durationMs: Number.POSITIVE_INFINITY }), {
      OTTOSCALER_MAX_ACTIVE_PIPELINES: "1",
    });
    app.engine.start(pipeline("one", [stage("s")]));
    assert.throws(
      () => app.engine.start(pipeline("one", [stage("s")])),
      (e: unknown) => e instanceof ConnectError && e.code === Code.AlreadyExists,
    );
    assert.throws(
      () => app.engine.start(pipeline("two", [stage("s")])),
      (e: unknown) => e instanceof ConnectError && e.code === Code.ResourceExhausted,
    );
    await app.engine.cancel("one", "test");
  });

  it("keeps only the newest finished pipelines in memory, and serves older ones from the store", async () => {
    const { app } = engineWith(() => ({ lines: ["hello"] }), { OTTOSCALER_RETAIN_PIPELINES: "2" });
    for (const id of ["r1", "r2", "r3"]) await app.engine.start(pipeline(id, [stage("s")])).done;
    assert.equal(app.registry.list({ pipelineId: "r1" }).length, 0);
    assert.equal(app.logs.worker("r1.s.a1.w0"), undefined);
    assert.equal(app.logs.worker("r3.s.a1.w0")?.end, 1);
    const listed = app.engine.list();
    assert.deepEqual(
      listed.map((p) => [p.pipelineId, PipelineStatus[p.status]]),
      [
        ["r3", "SUCCEEDED"],
        ["r2", "SUCCEEDED"],
        ["r1", "SUCCEEDED"],
      ],
    );
    const r1 = app.engine.find("r1");
    assert.ok(!(r1 instanceof PipelineRun), "r1 comes from the store");
    assert.deepEqual(
      r1.summary.stages.map((s) => [s.id, PipelineStatus[s.status]]),
      [["s", "SUCCEEDED"]],
    );
  });
});

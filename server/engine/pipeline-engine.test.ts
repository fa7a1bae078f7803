import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { WorkerPhase } from "../../gen/ottoscaler/v1/worker_pb.js";
import { OttoscalerError } from "../domain/errors.ts";
import { engineOn, stageSpec } from "../testing/engine.ts";
import type { PipelineEngine } from "./pipeline-engine.ts";
import type { PipelineSpec, StageSpec } from "./pipeline-spec.ts";

const kindIs = (kind: string) => (e: unknown) => e instanceof OttoscalerError && e.kind === kind;

const stage = stageSpec;

function pipeline(pipelineId: string, stages: StageSpec[]): PipelineSpec {
  return { pipelineId, name: pipelineId, stages };
}

function statuses(engine: PipelineEngine, pipelineId: string): Record<string, string> {
  const summary = engine.view(pipelineId).summary();
  return Object.fromEntries(summary.stages.map((s) => [s.id, PipelineStatus[s.status]]));
}

describe("PipelineEngine", () => {
  it("runs a stage with more workers than the cap in waves, never over the cap", async () => {
    const { engine, executor } = await engineOn(() => ({ durationMs: 1 }), { maxWorkers: 7 });
    const run = await engine.start(pipeline("waves", [stage("wide", { workers: 50 })]));
    assert.equal(await run.done, PipelineStatus.SUCCEEDED);
    assert.equal(executor.started.length, 50);
    assert.equal(executor.maxRunning, 7);
  });

  it("admits workers first come, first served across pipelines", async () => {
    const { engine, executor } = await engineOn(() => ({ durationMs: 1 }), { maxWorkers: 2 });
    const first = await engine.start(pipeline("first", [stage("s", { workers: 6 })]));
    const second = await engine.start(pipeline("second", [stage("s", { workers: 6 })]));
    await Promise.all([first.done, second.done]);
    const order = executor.started.map((s) => s.spec.pipelineId);
    assert.deepEqual(order.slice(0, 6), Array(6).fill("first"));
  });

  it("cannot deadlock: many wide pipelines under a tiny cap all finish", async () => {
    const { engine } = await engineOn(() => ({}), { maxWorkers: 1 });
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        engine.start(
          pipeline(`p${i}`, [
            stage("a", { workers: 3 }),
            stage("b", { workers: 5, dependsOn: ["a"] }),
            stage("c", { workers: 2, dependsOn: ["a"] }),
            stage("d", { dependsOn: ["b", "c"] }),
          ]),
        ),
      ),
    );
    const results = await Promise.all(runs.map((r) => r.done));
    assert.ok(results.every((s) => s === PipelineStatus.SUCCEEDED));
  });

  it("stops the other workers of a stage as soon as one fails", async () => {
    const { engine, executor, registry } = await engineOn((spec) =>
      spec.index === 0 ? { exitCode: 2 } : { durationMs: Number.POSITIVE_INFINITY },
    );
    const run = await engine.start(pipeline("fail-fast", [stage("s", { workers: 3 })]));
    assert.equal(await run.done, PipelineStatus.FAILED);
    assert.equal(executor.started.length, 3);
    const phases = registry.list({ pipelineId: "fail-fast" }).map((w) => WorkerPhase[w.phase]);
    assert.deepEqual(phases, ["FAILED", "STOPPED", "STOPPED"]);
  });

  it("cancels a pipeline waiting out a retry backoff without another attempt", async () => {
    const { engine, executor } = await engineOn(() => ({ exitCode: 1 }));
    const run = await engine.start(
      pipeline("backoff", [
        stage("s", { retry: { maxAttempts: 5, initialBackoffMs: 60_000, maxBackoffMs: 60_000 } }),
      ]),
    );
    for await (const read of run.events.read({ follow: true })) {
      if ("item" in read && read.item.status === PipelineStatus.RETRYING) break;
    }
    await engine.cancel("backoff", "test");
    assert.equal(await run.done, PipelineStatus.CANCELLED);
    assert.equal(executor.started.length, 1);
    assert.deepEqual(statuses(engine, "backoff"), { s: "CANCELLED" });
  });

  it("cancels workers still waiting for a slot without starting them", async () => {
    const { engine, executor, registry } = await engineOn(
      () => ({ durationMs: Number.POSITIVE_INFINITY }),
      { maxWorkers: 1 },
    );
    const run = await engine.start(pipeline("queued", [stage("s", { workers: 4 })]));
    for await (const read of run.events.read({ follow: true })) {
      if ("item" in read && read.item.status === PipelineStatus.RUNNING && read.item.stageId) break;
    }
    await engine.cancel("queued", "test");
    assert.equal(await run.done, PipelineStatus.CANCELLED);
    assert.equal(executor.started.length, 1);
    const reasons = registry.list({ pipelineId: "queued" }).map((w) => w.reason);
    assert.deepEqual(reasons.slice(1), ["test", "test", "test"]);
  });

  it("refuses a second pipeline with the same id, and pipelines over the active limit", async () => {
    const { engine } = await engineOn(() => ({ durationMs: Number.POSITIVE_INFINITY }), {
      maxActivePipelines: 1,
    });
    await engine.start(pipeline("one", [stage("s")]));
    await assert.rejects(engine.start(pipeline("one", [stage("s")])), kindIs("already-exists"));
    await assert.rejects(engine.start(pipeline("two", [stage("s")])), kindIs("exhausted"));
    await engine.cancel("one", "test");
  });

  it("keeps only the newest finished pipelines in memory, and serves older ones from the store", async () => {
    const { engine, registry, followers } = await engineOn(() => ({ lines: ["hello"] }), {
      retainPipelines: 2,
    });
    for (const id of ["r1", "r2", "r3"])
      await (await engine.start(pipeline(id, [stage("s")]))).done;
    assert.equal(registry.list({ pipelineId: "r1" }).length, 0);
    assert.equal(followers.worker("r1.s.a1.w0"), undefined);
    assert.equal(followers.worker("r3.s.a1.w0")?.end, 1);
    const listed = engine.list();
    assert.deepEqual(
      listed.map((p) => [p.pipelineId, PipelineStatus[p.status]]),
      [
        ["r3", "SUCCEEDED"],
        ["r2", "SUCCEEDED"],
        ["r1", "SUCCEEDED"],
      ],
    );
    const r1 = engine.view("r1");
    assert.deepEqual(
      r1.summary().stages.map((s) => [s.id, PipelineStatus[s.status]]),
      [["s", "SUCCEEDED"]],
    );
    const events: string[] = [];
    for await (const event of r1.progress({ signal: AbortSignal.timeout(10_000) })) {
      events.push(`${event.stageId}:${PipelineStatus[event.status]}`);
    }
    // Read back from the journal: r1 is no longer in memory.
    assert.deepEqual(events, [
      ":QUEUED",
      ":RUNNING",
      "s:QUEUED",
      "s:RUNNING",
      "s:SUCCEEDED",
      ":SUCCEEDED",
    ]);
  });
});

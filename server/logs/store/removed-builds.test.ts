import assert from "node:assert/strict";
import { appendFile, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { create, fromBinary } from "@bufbuild/protobuf";
import { JournalRecordSchema } from "../../../gen/ottoscaler/store/v1/journal_pb.js";
import { PipelineSummarySchema } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { WorkerPhase, WorkerStatusSchema } from "../../../gen/ottoscaler/v1/worker_pb.js";
import { silentLogger } from "../../observability/logger.ts";
import { tempDataDir } from "../../testing/data-dir.ts";
import { BuildRecorder } from "../build-recorder.ts";
import { scanJournal } from "../journal/journal-scan.ts";
import type { BuildJournal } from "./build-journal.ts";
import { BuildStore } from "./build-store.ts";

async function openStore(dataDir: string) {
  const store = new BuildStore(dataDir, silentLogger);
  await store.load();
  return { store, recorder: new BuildRecorder(store) };
}

/** One worker of the task through PENDING, RUNNING, SUCCEEDED, as the worker runner records it. */
function runTaskWorker(recorder: BuildRecorder, taskId: string) {
  const workerId = `${taskId}.w${recorder.nextTaskWorkerIndex(taskId)}`;
  recorder.openWorker({ workerId, taskId });
  for (const phase of [WorkerPhase.PENDING, WorkerPhase.RUNNING, WorkerPhase.SUCCEEDED]) {
    recorder.recordTaskWorker(create(WorkerStatusSchema, { workerId, taskId, phase }));
  }
  return workerId;
}

/** The task's worker events as written: [sequence, worker id]. */
async function workerEvents(store: BuildStore, taskId: string) {
  const journal = store.get("task", taskId);
  assert.ok(journal !== undefined);
  const events: [number, string][] = [];
  for await (const { payload } of scanJournal(journal.path, { until: journal.readableBytes })) {
    const { record } = fromBinary(JournalRecordSchema, payload);
    if (record.case === "worker") {
      events.push([Number(record.value.sequence), record.value.worker?.workerId ?? ""]);
    }
  }
  return events;
}

describe("builds removed by retention", () => {
  it("a task scaled up again after its journal was removed goes on with its worker ids and event numbers, after a restart too", async () => {
    const dataDir = tempDataDir();
    {
      const { store, recorder } = await openStore(dataDir);
      assert.equal(runTaskWorker(recorder, "farm"), "farm.w0");
      assert.equal(runTaskWorker(recorder, "farm"), "farm.w1");
      await recorder.sealTask("farm");
      await store.remove(store.get("task", "farm") as BuildJournal);
      assert.equal(store.get("task", "farm"), undefined);
      assert.equal(runTaskWorker(recorder, "farm"), "farm.w2", "not farm.w0 again");
      await recorder.sealTask("farm");
      assert.deepEqual(await workerEvents(store, "farm"), [
        [7, "farm.w2"],
        [8, "farm.w2"],
        [9, "farm.w2"],
      ]);
      await store.close();
    }
    const { store, recorder } = await openStore(dataDir);
    assert.equal(store.removed("task", "farm")?.workerEvents, 6);
    assert.equal(runTaskWorker(recorder, "farm"), "farm.w3");
    await recorder.sealTask("farm");
    assert.deepEqual((await workerEvents(store, "farm")).slice(-1), [[12, "farm.w3"]]);
    await store.close();
  });

  it("cuts a line that a crash left unfinished in removed.jsonl and keeps the lines before it", async () => {
    const dataDir = tempDataDir();
    const file = path.join(dataDir, "builds", "removed.jsonl");
    {
      const { store, recorder } = await openStore(dataDir);
      recorder.openPipeline("p1", { name: "p1", stageIds: [] });
      await recorder.sealPipeline("p1", create(PipelineSummarySchema, { pipelineId: "p1" }));
      await store.remove(store.get("pipeline", "p1") as BuildJournal);
      await store.close();
    }
    await appendFile(file, '{"kind":"pipeline","id":"p2","remo');
    const { store } = await openStore(dataDir);
    assert.ok(store.removed("pipeline", "p1") !== undefined);
    assert.equal(store.removed("pipeline", "p2"), undefined);
    const text = await readFile(file, "utf8");
    assert.ok(text.endsWith("}\n"), "the unfinished line is gone");
    assert.equal(text.split("\n").length, 2);
  });

  it("a task opened again while retention removes its journal gets a journal of its own, whose lines are kept", async () => {
    const { store, recorder } = await openStore(tempDataDir());
    runTaskWorker(recorder, "farm");
    await recorder.sealTask("farm");
    const removing = store.remove(store.get("task", "farm") as BuildJournal);
    assert.equal(runTaskWorker(recorder, "farm"), "farm.w1");
    await removing;
    await recorder.sealTask("farm");
    assert.deepEqual(await workerEvents(store, "farm"), [
      [4, "farm.w1"],
      [5, "farm.w1"],
      [6, "farm.w1"],
    ]);
    await store.close();
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { createApp } from "../app.ts";
import { loadConfig } from "../config/config.ts";
import { silentLogger } from "../observability/logger.ts";
import { tempDataDir } from "../testing/data-dir.ts";
import { GatedExecutor } from "../testing/gated-executor.ts";
import { collect } from "../testing/test-server.ts";
import { routes } from "./routes.ts";

function inProcess(dataDir = tempDataDir()) {
  const executor = new GatedExecutor();
  const app = createApp(loadConfig({ OTTOSCALER_DATA_DIR: dataDir }), {
    executor,
    logger: silentLogger,
  });
  const ottoscaler = createClient(OttoscalerService, createRouterTransport(routes(app)));
  return { app, executor, ottoscaler };
}

const sequences = (events: { sequence: bigint }[]) => events.map((e) => Number(e.sequence));

const twoStages = (pipelineId: string) => ({
  pipelineId,
  stages: [
    { id: "build", command: ["x"] },
    { id: "gate", command: ["x"], dependsOn: ["build"] },
  ],
});

describe("WatchPipeline from_sequence", () => {
  it("replays every event from 0 or 1, and exactly events k.. from k", async () => {
    const { executor, ottoscaler } = inProcess();
    executor.open();
    const all = await collect(ottoscaler.executePipeline(twoStages("done")));
    const n = all.length;
    assert.deepEqual(
      sequences(all),
      Array.from({ length: n }, (_, i) => i + 1),
    );
    for (const from of [0n, 1n]) {
      const watched = await collect(
        ottoscaler.watchPipeline({ pipelineId: "done", fromSequence: from }),
      );
      assert.deepEqual(watched, all);
    }
    const k = 4;
    const tail = await collect(
      ottoscaler.watchPipeline({ pipelineId: "done", fromSequence: BigInt(k) }),
    );
    assert.deepEqual(tail, all.slice(k - 1));
    // Just past the last event: nothing more, and no error.
    const none = await collect(
      ottoscaler.watchPipeline({ pipelineId: "done", fromSequence: BigInt(n + 1) }),
    );
    assert.deepEqual(none, []);
  });

  it("answers OutOfRange, naming the field, past a finished pipeline's last event + 1", async () => {
    const { executor, ottoscaler } = inProcess();
    executor.open();
    const all = await collect(ottoscaler.executePipeline(twoStages("ended")));
    await assert.rejects(
      collect(
        ottoscaler.watchPipeline({ pipelineId: "ended", fromSequence: BigInt(all.length + 2) }),
      ),
      (e: unknown) => {
        assert.ok(e instanceof ConnectError);
        assert.equal(e.code, Code.OutOfRange);
        assert.match(e.rawMessage, /^fromSequence: /);
        return true;
      },
    );
  });

  it("continues live after the replayed events, and waits past a running pipeline's end", async () => {
    const { executor, ottoscaler } = inProcess();
    const running = ottoscaler.executePipeline(twoStages("live"))[Symbol.asyncIterator]();
    const seen: number[] = [];
    // Up to the gated stage's RUNNING event: the pipeline is in the middle.
    for (;;) {
      const next = await running.next();
      assert.ok(!next.done);
      seen.push(Number(next.value.sequence));
      if (next.value.stageId === "gate" && next.value.status === PipelineStatus.RUNNING) break;
    }
    await executor.gateReached();
    const last = seen.at(-1) ?? 0;
    const fromMiddle = collect(ottoscaler.watchPipeline({ pipelineId: "live", fromSequence: 2n }));
    // Beyond its end for now: it waits for the events to come, then gets them.
    const fromAhead = collect(
      ottoscaler.watchPipeline({ pipelineId: "live", fromSequence: BigInt(last + 2) }),
    );
    executor.open();
    const rest: number[] = [];
    for (;;) {
      const next = await running.next();
      if (next.done) break;
      rest.push(Number(next.value.sequence));
    }
    const all = [...seen, ...rest];
    assert.ok(rest.length >= 2, "events came after the gate opened");
    assert.deepEqual(sequences(await fromMiddle), all.slice(1));
    const ahead = await fromAhead;
    assert.deepEqual(sequences(ahead), all.slice(last + 1));
    assert.equal(ahead.at(-1)?.status, PipelineStatus.SUCCEEDED);
  });

  it("serves a stored pipeline alike after a restart: from k, and OutOfRange past its end", async () => {
    const dataDir = tempDataDir();
    const first = inProcess(dataDir);
    first.executor.open();
    await first.app.open();
    const all = await collect(first.ottoscaler.executePipeline(twoStages("kept")));
    await first.app.shutdown("restart");
    // A new server on the same data: the pipeline is known only from its journal.
    const second = inProcess(dataDir);
    await second.app.open();
    const tail = await collect(
      second.ottoscaler.watchPipeline({ pipelineId: "kept", fromSequence: 3n }),
    );
    assert.deepEqual(sequences(tail), sequences(all).slice(2));
    assert.deepEqual(
      await collect(
        second.ottoscaler.watchPipeline({
          pipelineId: "kept",
          fromSequence: BigInt(all.length + 1),
        }),
      ),
      [],
    );
    await assert.rejects(
      collect(
        second.ottoscaler.watchPipeline({
          pipelineId: "kept",
          fromSequence: BigInt(all.length + 5),
        }),
      ),
      (e: unknown) => e instanceof ConnectError && e.code === Code.OutOfRange,
    );
    await second.app.shutdown("test finished");
  });
});

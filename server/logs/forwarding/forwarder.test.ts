import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { OttoHandlerIngestService } from "../../../gen/otto/handler/v1/handler_pb.js";
import { JournalRecordSchema } from "../../../gen/ottoscaler/store/v1/journal_pb.js";
import {
  BuildLogEntrySchema,
  ForwardingState,
  LogEntrySchema,
  type LogForwardingDestination,
  LogStream,
} from "../../../gen/ottoscaler/v1/log_streaming_pb.js";
import { silentLogger } from "../../observability/logger.ts";
import { tempDataDir } from "../../testing/data-dir.ts";
import { BuildStore } from "../store/build-store.ts";
import { LogForwarder } from "./forwarder.ts";

function logRecord(sequence: number, workerId = "p.s.a1.w0") {
  const entry = create(LogEntrySchema, {
    workerId,
    line: `line ${sequence}`,
    stream: LogStream.STDOUT,
    timestamp: timestampNow(),
    sequence: BigInt(sequence),
  });
  return create(JournalRecordSchema, {
    record: {
      case: "log",
      value: create(BuildLogEntrySchema, { pipelineId: "p", stageId: "s", attempt: 1, entry }),
    },
  });
}

describe("the log forwarder", () => {
  it("reports BACKING_OFF through every retry of a failing destination, and SENDING again once one succeeds", async (t) => {
    const store = new BuildStore(tempDataDir(), silentLogger);
    await store.load();
    const failures = 3;
    const seen: ForwardingState[] = [];
    let afterRecovery: LogForwardingDestination | undefined;
    let calls = 0;
    let forwarder: LogForwarder | undefined;
    let delivered: () => void = () => {};
    const deliveredOnce = new Promise<void>((resolve) => {
      delivered = resolve;
    });
    const transport = createRouterTransport(({ service }) => {
      service(OttoHandlerIngestService, {
        ingestEntries(request) {
          calls++;
          // What anyone asking for the status sees while this attempt is in flight.
          if (forwarder !== undefined) seen.push(forwarder.status().state);
          if (calls <= failures) throw new ConnectError("handler down", Code.Unavailable);
          // The second batch is sent only once the first one's acknowledgement is recorded.
          if (calls === failures + 2) {
            afterRecovery = forwarder?.status();
            delivered();
          }
          return { stored: request.entries.length, duplicates: 0 };
        },
      });
    });
    forwarder = new LogForwarder(
      store,
      createClient(OttoHandlerIngestService, transport),
      {
        url: "http://handler.test",
        source: "test",
        maxEntries: 5,
        maxBytes: 1 << 20,
        maxBackoffMs: 5,
        callTimeoutMs: 1000,
        reportEveryMs: 60_000,
      },
      silentLogger,
    );
    const stop = new AbortController();
    t.after(async () => {
      stop.abort();
      await forwarder?.stopped();
      await store.close();
    });
    await forwarder.start(stop.signal);
    const journal = store.openForWriting("pipeline", "p");
    for (let s = 1; s <= 10; s++) journal.append(logRecord(s));
    await deliveredOnce;
    assert.deepEqual(
      seen.map((s) => ForwardingState[s]),
      ["SENDING", "BACKING_OFF", "BACKING_OFF", "BACKING_OFF", "SENDING"],
      "the first attempt is SENDING; every retry after a failure stays BACKING_OFF",
    );
    assert.equal(afterRecovery?.failedAttempts, BigInt(failures));
    assert.match(afterRecovery?.lastError ?? "", /^Unavailable: handler down/);
    assert.equal(afterRecovery?.acknowledgedEntries, 5n);
    assert.equal(afterRecovery?.lagEntries, 5n);
  });

  it("forwards a task's new journal opened while retention removes the old one under the same id, counting nothing delivered as lost", async (t) => {
    const store = new BuildStore(tempDataDir(), silentLogger);
    await store.load();
    const received: string[] = [];
    const arrived = new Set<() => void>();
    const transport = createRouterTransport(({ service }) => {
      service(OttoHandlerIngestService, {
        ingestEntries(request) {
          for (const { kind } of request.entries) {
            if (kind.case === "log") received.push(`${kind.value.workerId}:${kind.value.sequence}`);
          }
          for (const check of arrived) check();
          return { stored: request.entries.length, duplicates: 0 };
        },
      });
    });
    const until = (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => received.length >= count && resolve();
        arrived.add(check);
        check();
      });
    const forwarder = new LogForwarder(
      store,
      createClient(OttoHandlerIngestService, transport),
      {
        url: "http://handler.test",
        source: "test",
        maxEntries: 100,
        maxBytes: 1 << 20,
        maxBackoffMs: 5,
        callTimeoutMs: 1000,
        reportEveryMs: 60_000,
      },
      silentLogger,
    );
    const stop = new AbortController();
    t.after(async () => {
      stop.abort();
      await forwarder.stopped();
      await store.close();
    });
    await forwarder.start(stop.signal);
    const old = store.openForWriting("task", "farm");
    for (let s = 1; s <= 3; s++) old.append(logRecord(s, "farm.w0"));
    await until(3);
    // The acknowledgement is recorded once the next turn of the loop asks for more.
    while (!forwarder.delivered(old)) await new Promise((resolve) => setImmediate(resolve));
    await old.seal();
    const removing = store.remove(old);
    const next = store.openForWriting("task", "farm");
    for (let s = 1; s <= 2; s++) next.append(logRecord(s, "farm.w1"));
    await removing;
    await until(5);
    assert.deepEqual(received, ["farm.w0:1", "farm.w0:2", "farm.w0:3", "farm.w1:1", "farm.w1:2"]);
    assert.equal(forwarder.status().removedUndeliveredEntries, 0n);
  });
});

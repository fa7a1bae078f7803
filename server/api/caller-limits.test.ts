import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { GrpcJsPeer } from "../testing/grpc-js.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";
import { writeTokensFile } from "../testing/tokens.ts";

describe("per-caller limits", () => {
  let t: TestServer;
  let peer: GrpcJsPeer;
  const { file, token } = writeTokensFile([
    { name: "alice", role: "operator" },
    { name: "bob", role: "operator" },
  ]);
  const client = (who: string) => t.clients("connect", { token: token[who] ?? "" }).ottoscaler;

  before(async () => {
    t = await startTestServer({
      OTTOSCALER_AUTH: "tokens",
      OTTOSCALER_TOKENS_FILE: file,
      OTTOSCALER_RATE_LIMIT_PER_MINUTE: "1",
      OTTOSCALER_RATE_LIMIT_BURST: "3",
      OTTOSCALER_MAX_STREAMS_PER_CALLER: "2",
    });
    peer = new GrpcJsPeer(`127.0.0.1:${t.server.port}`, grpc.credentials.createInsecure());
  });
  after(async () => {
    peer?.close();
    await t?.[Symbol.asyncDispose]();
  });

  it("refuses a burst over the limit for the excess only, with a retry hint; others are unaffected", async () => {
    const scale = (who: string, i: number) =>
      client(who)
        .scaleDown({ taskId: `t-${who}-${i}`, workerCount: 1 })
        // Past the limit: ResourceExhausted; within it, whatever the call itself answers.
        .then(
          () => "ok",
          (e: ConnectError) => (e.code === Code.ResourceExhausted ? e : "ok"),
        );
    const burst = await Promise.all([0, 1, 2, 3, 4].map((i) => scale("alice", i)));
    assert.deepEqual(burst.filter((r) => r === "ok").length, 3);
    const refused = burst.filter((r): r is ConnectError => r instanceof ConnectError);
    assert.equal(refused.length, 2);
    for (const e of refused) {
      assert.equal(e.code, Code.ResourceExhausted);
      assert.match(
        e.rawMessage,
        /^rate limit: 1 mutating calls a minute \(bursts of 3\) for tokens user "alice"; retry in \d+\.\ds$/,
      );
      assert.ok(Number(e.metadata.get("retry-after")) >= 1);
    }
    // Bob has a bucket of his own; reads are not rate-limited.
    assert.deepEqual(await Promise.all([0, 1, 2].map((i) => scale("bob", i))), ["ok", "ok", "ok"]);
    for (let i = 0; i < 5; i++) assert.ok(await client("alice").listPipelines({}));
  });

  it("caps the streams a caller has open, and frees a place when one ends", async () => {
    const open = [new AbortController(), new AbortController()];
    const streams = open.map((c) =>
      client("alice").watchWorkers({}, { signal: c.signal })[Symbol.asyncIterator](),
    );
    await Promise.all(streams.map((s) => s.next()));
    const third = await peer.call(
      "ottoscaler.v1.OttoscalerService/WatchWorkers",
      {},
      { token: token.alice ?? "", take: 1 },
    );
    assert.equal(third.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(third.details, /tokens user "alice" has 2 streams open, the most allowed/);
    const bob = await peer.call(
      "ottoscaler.v1.OttoscalerService/WatchWorkers",
      {},
      { token: token.bob ?? "", take: 1 },
    );
    assert.equal(bob.code, grpc.status.OK);

    const alice = 'tokens user "alice"';
    const released = (async () => {
      for (;;) {
        const [caller] = await once(t.app.limits.events, "released");
        if (caller === alice && t.app.limits.openStreams(alice) < 2) return;
      }
    })();
    open[0]?.abort();
    await assert.rejects(streams[0]?.next() ?? Promise.resolve());
    await released;
    assert.equal(t.app.limits.openStreams(alice), 1);
    const again = await peer.call(
      "ottoscaler.v1.OttoscalerService/WatchWorkers",
      {},
      { token: token.alice ?? "", take: 1 },
    );
    assert.equal(again.code, grpc.status.OK);
    open[1]?.abort();
  });
});

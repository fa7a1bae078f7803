import assert from "node:assert/strict";
import { rename, writeFile } from "node:fs/promises";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { recordingLogger } from "../testing/recording-logger.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";
import { tokensFileText, writeTokensFile } from "../testing/tokens.ts";
import { newToken } from "./token-file.ts";

/** A raw gRPC call with the given headers: its grpc-status and grpc-message. */
async function rawGrpc(url: string, headers: Record<string, string>) {
  const session = http2.connect(url);
  try {
    return await new Promise<{ status: string; message: string }>((resolve, reject) => {
      const stream = session.request({
        ":method": "POST",
        ":path": "/ottoscaler.v1.OttoscalerService/ListPipelines",
        "content-type": "application/grpc",
        te: "trailers",
        ...headers,
      });
      const done = (h: http2.IncomingHttpHeaders) => {
        if (h["grpc-status"] === undefined) return;
        resolve({
          status: String(h["grpc-status"]),
          message: decodeURIComponent(String(h["grpc-message"] ?? "")),
        });
      };
      stream.on("response", done);
      stream.on("trailers", done);
      stream.on("error", reject);
      stream.resume();
      stream.end(Buffer.alloc(5));
    });
  } finally {
    session.close();
  }
}

describe("tokens mode: bad credentials", () => {
  let t: TestServer;
  const recorded = recordingLogger();
  const { file, token } = writeTokensFile([
    { name: "old", role: "admin", expires: "2001-01-01T00:00:00Z" },
    { name: "alice", role: "viewer" },
  ]);
  const list = (tok: string) => t.clients("connect", { token: tok }).ottoscaler.listPipelines({});

  before(async () => {
    t = await startTestServer(
      { OTTOSCALER_AUTH: "tokens", OTTOSCALER_TOKENS_FILE: file },
      { logger: recorded.logger },
    );
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  const unauthenticated = (message: RegExp) => (e: unknown) =>
    e instanceof ConnectError && e.code === Code.Unauthenticated && message.test(e.rawMessage);

  it("refuses expired and unknown tokens as Unauthenticated", async () => {
    await assert.rejects(
      list(token.old ?? ""),
      unauthenticated(/^token "old" expired at 2001-01-01T00:00:00.000Z$/),
    );
    await assert.rejects(list(newToken()), unauthenticated(/^token not recognised$/));
    assert.ok(await list(token.alice ?? ""));
  });

  it("refuses malformed Authorization headers as Unauthenticated and keeps serving", async () => {
    for (const authorization of [
      "Basic dXNlcjpwYXNz",
      "Bearer",
      "Bearer a b",
      `Bearer ${"x".repeat(9000)}`,
      "\u0001",
    ]) {
      const res = await rawGrpc(t.url, { authorization }).catch((e: Error) => ({
        status: "refused",
        message: e.message,
      }));
      // A header too large for HTTP/2 is refused by the framing itself; others by us.
      if (res.status !== "refused") {
        assert.equal(res.status, String(Code.Unauthenticated), authorization.slice(0, 20));
      }
    }
    assert.equal((await rawGrpc(t.url, { authorization: `Bearer ${token.alice}` })).status, "0");
  });

  it("logs each denial with the reason, and never a token", () => {
    const denials = recorded.log.lines.filter((l) => l.event === "accessDenied");
    assert.ok(denials.some((l) => l.reason === "token not recognised"));
    const text = recorded.text();
    for (const tok of Object.values(token)) assert.ok(!text.includes(tok));
  });

  it("reloads the file when it is replaced: new tokens work, removed ones stop", async () => {
    const bob = newToken();
    const next = `${file}.next`;
    await writeFile(next, tokensFileText([{ name: "bob", role: "operator", token: bob }]));
    const loaded = recorded.log.lines.filter((l) => l.event === "tokensLoaded").length;
    const reloaded = recorded.log.waitFor(
      "tokensLoaded",
      () => recorded.log.lines.filter((l) => l.event === "tokensLoaded").length > loaded,
    );
    await rename(next, file);
    assert.equal((await reloaded).tokens, 1);
    assert.ok(await list(bob));
    await assert.rejects(list(token.alice ?? ""), unauthenticated(/not recognised/));
  });

  it("keeps the tokens in use when the new file is broken", async () => {
    const failed = recorded.log.waitFor("tokensReloadFailed");
    await writeFile(file, "tokens: [{ name: x, role: boss }]\n");
    assert.match(String((await failed).error), /tokens\[0\].role/);
    await assert.rejects(list(token.alice ?? ""), unauthenticated(/not recognised/));
  });
});

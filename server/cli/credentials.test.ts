import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestServer, type TestServer } from "../testing/test-server.ts";
import { testTls } from "../testing/tls.ts";
import { roleTokens } from "../testing/tokens.ts";
import { runCliCaptured } from "./captured-cli.ts";

describe("ottoctl against a server with tokens and TLS", () => {
  let t: TestServer;
  let server: string;
  const { file, token } = roleTokens();

  before(async () => {
    t = await startTestServer({
      OTTOSCALER_AUTH: "tokens",
      OTTOSCALER_TOKENS_FILE: file,
      OTTOSCALER_TLS_CERT_FILE: testTls.cert,
      OTTOSCALER_TLS_KEY_FILE: testTls.key,
    });
    server = t.server.secureUrl ?? "";
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it("says how to give credentials when it has none", async () => {
    const run = await runCliCaptured(["list", "--server", server, "--ca", testTls.cert]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^error: \[unauthenticated\] no credentials/);
    assert.match(run.stderr, /give a token with --token or OTTOSCALER_TOKEN/);
  });

  it("sends --token, or $OTTOSCALER_TOKEN, over TLS trusting --ca or $OTTOSCALER_CA", async () => {
    for (const protocol of ["connect", "grpc", "grpc-web"]) {
      const flags = await runCliCaptured([
        "list",
        "--server",
        server,
        "--ca",
        testTls.cert,
        "--token",
        token.viewer ?? "",
        "--protocol",
        protocol,
      ]);
      assert.equal(flags.code, 0, flags.stderr);
    }
    const env = await runCliCaptured(["list"], {
      OTTOSCALER_SERVER: server,
      OTTOSCALER_CA: testTls.cert,
      OTTOSCALER_TOKEN: token.viewer ?? "",
    });
    assert.equal(env.code, 0, env.stderr);
  });

  it("reports a call its role does not allow", async () => {
    const run = await runCliCaptured(
      ["scale-up", "t", "-w", "1", "--server", server, "--ca", testTls.cert, "--", "true"],
      { OTTOSCALER_TOKEN: token.viewer ?? "" },
    );
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /^error: \[permission_denied\] viewer "viewer" may not call ScaleUp: it takes the operator role/,
    );
  });

  it("refuses a certificate without its key, and a file it cannot read", async () => {
    const half = await runCliCaptured(["list", "--cert", testTls.cert]);
    assert.equal(half.code, 2);
    assert.match(half.stderr, /^error: --cert needs --key/);
    const missing = await runCliCaptured([
      "list",
      "--server",
      server,
      "--ca",
      "/nonexistent/ca.pem",
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error: --ca: cannot read \/nonexistent\/ca.pem: ENOENT/);
  });
});

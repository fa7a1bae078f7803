import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { runCliCaptured } from "../cli/captured-cli.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";
import { makeCa, makeCert, noOpenssl, type Pem } from "../testing/tls.ts";

describe("mtls mode", { skip: noOpenssl }, () => {
  let t: TestServer;
  let ca: Pem;
  let clients: Record<string, Pem>;
  let serverCaPem: Pem;

  before(async () => {
    ca = makeCa("client CA");
    const serverCa = makeCa("server CA");
    const server = makeCert(serverCa, { cn: "localhost" });
    const stranger = makeCa("someone else's CA");
    clients = {
      admin: makeCert(ca, { cn: "alice", o: ["admin"], client: true }),
      viewer: makeCert(ca, { cn: "bob", o: ["ci", "viewer"], client: true }),
      nobody: makeCert(ca, { cn: "carol", o: ["ci"], client: true }),
      untrusted: makeCert(stranger, { cn: "mallory", o: ["admin"], client: true }),
    };
    t = await startTestServer({
      OTTOSCALER_AUTH: "mtls",
      OTTOSCALER_TLS_CERT_FILE: server.certFile,
      OTTOSCALER_TLS_KEY_FILE: server.keyFile,
      OTTOSCALER_TLS_CLIENT_CA_FILE: ca.certFile,
    });
    // Clients trust the server's CA, a different one from the client CA.
    serverCaPem = serverCa;
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  const as = (who: string, protocol: "grpc" | "connect" | "grpc-web" = "grpc") => {
    const pem = clients[who];
    return t.clients(protocol, {
      ca: serverCaPem.cert,
      ...(pem !== undefined && { cert: pem.cert, key: pem.key }),
    });
  };
  const code = (c: Code, message: RegExp) => (e: unknown) =>
    e instanceof ConnectError && e.code === c && message.test(e.rawMessage);

  it("takes the certificate's CN as the user and its O as groups and role", async () => {
    for (const protocol of ["grpc", "connect", "grpc-web"] as const) {
      assert.ok(await as("viewer", protocol).ottoscaler.listPipelines({}), protocol);
    }
    const up = await as("admin").ottoscaler.scaleUp({
      taskId: "m",
      workerCount: 1,
      command: ["sleep 5"],
    });
    assert.equal(up.taskId, "m");
    await as("admin").ottoscaler.scaleDown({ taskId: "m", workerCount: 1 });
    await assert.rejects(
      as("viewer").ottoscaler.scaleUp({ taskId: "m", workerCount: 1, command: ["true"] }),
      code(
        Code.PermissionDenied,
        /^viewer "bob" may not call ScaleUp: it takes the operator role$/,
      ),
    );
    await assert.rejects(
      as("nobody").ottoscaler.listPipelines({}),
      code(Code.PermissionDenied, /^"carol" \(no role\) may not call ListPipelines/),
    );
    const records = await as("admin").audit.listAuditEvents({});
    const scale = records.events.find((e) => e.method.endsWith("/ScaleUp") && e.code === "ok");
    assert.deepEqual([scale?.user, scale?.groups, scale?.auth], ["alice", ["admin"], "mtls"]);
  });

  it("refuses untrusted certificates, none, and cleartext as Unauthenticated, and keeps serving", async () => {
    await assert.rejects(
      as("untrusted").ottoscaler.listPipelines({}),
      code(
        Code.Unauthenticated,
        /^client certificate "mallory" is not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to get local issuer/,
      ),
    );
    await assert.rejects(
      as("none").ottoscaler.listPipelines({}),
      code(Code.Unauthenticated, /^no client certificate/),
    );
    await assert.rejects(
      t.clients("grpc").ottoscaler.listPipelines({}),
      code(Code.Unauthenticated, /connect over TLS/),
    );
    assert.ok(await as("viewer").ottoscaler.listPipelines({}));
  });

  it("is what ottoctl --cert and --key send", async () => {
    const run = await runCliCaptured([
      "list",
      "--server",
      t.server.secureUrl ?? "",
      "--ca",
      serverCaPem.certFile,
      "--cert",
      clients.viewer?.certFile ?? "",
      "--key",
      clients.viewer?.keyFile ?? "",
    ]);
    assert.equal(run.code, 0, run.stderr);
  });
});

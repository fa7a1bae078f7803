import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import tls from "node:tls";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { GrpcJsPeer } from "../testing/grpc-js.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import { protocols, startTestServer, type TestServer } from "../testing/test-server.ts";
import { makeCa, makeCert, noOpenssl, testTls } from "../testing/tls.ts";

const run = promisify(execFile);
const ca = readFileSync(testTls.cert);

/** The ALPN protocol the server picks and the certificate it presents to a new connection. */
function handshake(port: number, alpn: string[], trusted: Buffer) {
  return new Promise<{ alpn: string | false; fingerprint: string }>((resolve, reject) => {
    const socket = tls.connect(
      { port, host: "127.0.0.1", servername: "localhost", ca: trusted, ALPNProtocols: alpn },
      () => {
        resolve({
          alpn: socket.alpnProtocol ?? false,
          fingerprint: socket.getPeerX509Certificate()?.fingerprint256 ?? "",
        });
        socket.end();
      },
    );
    socket.once("error", reject);
  });
}

describe("TLS on the one port", () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({
      OTTOSCALER_TLS_CERT_FILE: testTls.cert,
      OTTOSCALER_TLS_KEY_FILE: testTls.key,
    });
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it("offers h2 and http/1.1 by ALPN", async () => {
    assert.equal((await handshake(t.server.port, ["h2", "http/1.1"], ca)).alpn, "h2");
    assert.equal((await handshake(t.server.port, ["http/1.1"], ca)).alpn, "http/1.1");
    assert.equal(t.server.secureUrl, `https://127.0.0.1:${t.server.port}`);
  });

  it("serves gRPC, gRPC-Web and Connect over TLS, and cleartext to this machine", async () => {
    for (const protocol of protocols) {
      const { workers } = await t.clients(protocol, { ca }).ottoscaler.getWorkerStatus({});
      assert.deepEqual(workers, [], protocol);
      assert.ok(await t.clients(protocol).ottoscaler.listPipelines({}), protocol);
    }
    const peer = new GrpcJsPeer(`localhost:${t.server.port}`, grpc.credentials.createSsl(ca));
    assert.equal(
      (await peer.call("ottoscaler.v1.OttoscalerService/ListPipelines", {})).code,
      grpc.status.OK,
    );
    peer.close();
  });

  it("answers curl with JSON over TLS, on HTTP/2 and HTTP/1.1", async () => {
    const url = `https://localhost:${t.server.port}/ottoscaler.v1.OttoscalerService/ListPipelines`;
    for (const version of ["--http2", "--http1.1"]) {
      const { stdout } = await run("curl", [
        "-sS",
        "--max-time",
        "10",
        version,
        "--cacert",
        testTls.cert,
        "-w",
        "\n%{http_version}",
        "--json",
        "{}",
        url,
      ]);
      const [body, httpVersion] = stdout.split("\n");
      assert.equal(body, "{}");
      assert.equal(httpVersion, version === "--http2" ? "2" : "1.1");
    }
  });

  it("takes a page it served over https as same-origin, and still refuses other origins", async () => {
    const url = `https://localhost:${t.server.port}/ottoscaler.v1.OttoscalerService/ListPipelines`;
    const status = async (origin: string, version: string) => {
      const { stdout } = await run("curl", [
        ...["-sS", "-o", "/dev/null", "-w", "%{http_code}", version, "--cacert", testTls.cert],
        ...["-H", `origin: ${origin}`, "--json", "{}", url],
      ]);
      return Number(stdout);
    };
    for (const version of ["--http2", "--http1.1"]) {
      assert.equal(await status(`https://localhost:${t.server.port}`, version), 200, version);
      // The same host and port over cleartext is another origin, as is any other name.
      assert.equal(await status(`http://localhost:${t.server.port}`, version), 403, version);
      assert.equal(await status("https://evil.test", version), 403, version);
    }
  });
});

describe("cleartext while TLS is on", () => {
  it("is refused from loopback too with OTTOSCALER_CLEARTEXT=none, and TLS still works", async () => {
    await using t = await startTestServer({
      OTTOSCALER_TLS_CERT_FILE: testTls.cert,
      OTTOSCALER_TLS_KEY_FILE: testTls.key,
      OTTOSCALER_CLEARTEXT: "none",
    });
    const res = await fetch(`${t.url}/ottoscaler.v1.OttoscalerService/ListPipelines`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /use https:\/\//);
    assert.ok(await t.clients("grpc", { ca }).ottoscaler.listPipelines({}));
    // Refused unread, so the audit trail knows where it came from, not what it asked.
    const records = (await t.app.audit.list({ limit: 100 })).filter((r) => r.refusedBy);
    assert.deepEqual(
      records.map((r) => [r.refusedBy, r.protocol, r.method, r.code, r.source.split(":")[0]]),
      [["cleartext", "http", "", "permission_denied", "127.0.0.1"]],
    );
  });
});

describe("certificate rotation", { skip: noOpenssl }, () => {
  it("gives the next connection the new certificate, with no restart and open streams unaffected", async () => {
    const authority = makeCa();
    const first = makeCert(authority, { cn: "first" });
    const second = makeCert(authority, { cn: "second" });
    // The server reads the files where a Secret volume would keep them.
    const certFile = `${first.certFile}.live`;
    const keyFile = `${first.keyFile}.live`;
    await Promise.all([writeFile(certFile, first.cert), writeFile(keyFile, first.key)]);
    const recorded = recordingLogger();
    await using t = await startTestServer(
      { OTTOSCALER_TLS_CERT_FILE: certFile, OTTOSCALER_TLS_KEY_FILE: keyFile },
      { logger: recorded.logger },
    );
    const fingerprint = (pem: Buffer) => new X509Certificate(pem).fingerprint256;
    assert.equal(
      (await handshake(t.server.port, ["h2"], authority.cert)).fingerprint,
      fingerprint(first.cert),
    );

    // A stream open over TLS before the rotation.
    const peer = new GrpcJsPeer(
      `localhost:${t.server.port}`,
      grpc.credentials.createSsl(authority.cert),
    );
    const watching = peer.call("ottoscaler.v1.OttoscalerService/WatchWorkers", {}, { take: 2 });

    // Key first, then certificate, each replaced by a rename: between the two the pair does not
    // match, and the old one stays in use.
    const loaded = () => recorded.log.lines.filter((l) => l.event === "tlsLoaded").length;
    const before = loaded();
    const rotated = recorded.log.waitFor(
      "tlsLoaded",
      (l) => loaded() > before && l.subject === "CN=second",
    );
    await writeFile(`${keyFile}.new`, second.key);
    await rename(`${keyFile}.new`, keyFile);
    await writeFile(`${certFile}.new`, second.cert);
    await rename(`${certFile}.new`, certFile);
    await rotated;

    assert.equal(
      (await handshake(t.server.port, ["h2"], authority.cert)).fingerprint,
      fingerprint(second.cert),
    );
    // The open stream goes on: it sees a worker that starts after the rotation.
    await t
      .clients("connect")
      .ottoscaler.scaleUp({ taskId: "after", workerCount: 1, command: ["sleep 5"] });
    const outcome = await watching;
    assert.equal(outcome.code, grpc.status.OK, outcome.details);
    assert.equal((outcome.messages[1] as { worker?: { taskId: string } }).worker?.taskId, "after");
    peer.close();
    await t.clients("connect").ottoscaler.scaleDown({ taskId: "after", workerCount: 1 });
  });
});

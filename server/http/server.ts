import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import type { ApiDeps } from "../api/api-deps.ts";
import { handleCors } from "./cors.ts";
import { checkExposure, isLoopback } from "./exposure.ts";
import { hostAllowed, requestHost } from "./host-check.ts";
import { metricsPath, serveMetrics } from "./metrics-endpoint.ts";
import { auditRefusal } from "./refusal-audit.ts";
import { reply } from "./reply.ts";
import { createRpcHandler } from "./request-handler.ts";
import { TlsCertificate } from "./tls-files.ts";
import { answerUnknownMethod } from "./unknown-method.ts";

export interface RunningServer {
  /** The port really bound (useful when asked for port 0). */
  port: number;
  url: string;
  /** https://… when TLS is on (on the same port). */
  secureUrl?: string;
  /** Stops accepting, lets open streams end, closes connections. */
  close(): Promise<void>;
}

const http2Preface = Buffer.from("PRI * HTTP/2.0");
/** A TLS record's first byte: a handshake. */
const tlsHandshake = 0x16;

/**
 * One port for everything: gRPC over HTTP/2 (prior knowledge, or ALPN h2 over
 * TLS) and gRPC-Web and Connect over HTTP/1.1 or HTTP/2. The first bytes of
 * each connection say whether it is TLS, then which HTTP it speaks.
 */
/** What a cleartext client from elsewhere gets while TLS is on (HTTP/2 clients just see it close). */
const refusedCleartext =
  "HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n" +
  "cleartext is accepted from this machine only (OTTOSCALER_CLEARTEXT); use https://\n";

export async function startServer(app: ApiDeps): Promise<RunningServer> {
  const { config } = app;
  if (checkExposure(config).exposedWithoutAuth) {
    app.logger.warn("listeningUnauthenticated", { host: config.host });
  }
  const rpc = createRpcHandler(app, (req, res) => answerUnknownMethod(req, res, app.metrics));
  const handle = (
    req: http.IncomingMessage | http2.Http2ServerRequest,
    res: http.ServerResponse | http2.Http2ServerResponse,
  ) => {
    // Probes come with the pod's address for a Host, and say nothing worth rebinding for.
    if (req.method === "GET" && (req.url === "/healthz" || req.url === "/readyz")) {
      const ok = req.url === "/healthz" || app.ready;
      reply(res, ok ? 200 : 503, ok ? "ok\n" : "not ready\n");
      return;
    }
    // Prometheus scrapes by the pod's address too; the access rule guards it instead.
    if (req.method === "GET" && req.url === metricsPath) {
      void serveMetrics(app, req, res);
      return;
    }
    const refused = (by: "origin" | "host", message: string) =>
      auditRefusal(app.audit, config.auth, { by, message, socket: req.socket, req });
    if (!hostAllowed(req, config.allowedHosts)) {
      const host = requestHost(req) ?? "";
      const message = `host "${host}" is not served here (OTTOSCALER_ALLOWED_HOSTS)\n`;
      refused("host", message);
      reply(res, 421, message);
      return;
    }
    // A page the server sent over TLS has an https origin; on HTTP/2 the socket is a proxy.
    const scheme = (req.socket as Partial<tls.TLSSocket>).encrypted === true ? "https" : "http";
    if (handleCors(req, res, config.corsOrigins, scheme, (m) => refused("origin", m))) return;
    rpc(req, res);
  };
  const h1 = http.createServer(handle);
  const h2 = http2.createServer({}, handle);
  const certificate =
    config.tlsCertFile === ""
      ? undefined
      : new TlsCertificate(
          {
            certFile: config.tlsCertFile,
            keyFile: config.tlsKeyFile,
            ...(config.auth === "mtls" && { clientCaFile: config.tlsClientCaFile }),
          },
          app.logger,
          (options) => secure?.setSecureContext(options),
        );
  // TLS connections are handed over decrypted, each to the HTTP the client chose with ALPN.
  const secure =
    certificate &&
    tls.createServer(
      {
        ...certificate.options(),
        ALPNProtocols: ["h2", "http/1.1"],
        handshakeTimeout: 10_000,
        // mtls: ask for a certificate but let the handshake finish without one or with a bad
        // one, so the caller gets Unauthenticated saying why rather than a TLS alert.
        requestCert: config.auth === "mtls",
        rejectUnauthorized: false,
      },
      (socket) => (socket.alpnProtocol === "h2" ? h2 : h1).emit("connection", socket),
    );
  const cleartextAllowed = (socket: net.Socket) =>
    secure === undefined ||
    config.cleartext === "any" ||
    (config.cleartext === "loopback" &&
      isLoopback(socket.remoteAddress?.replace(/^::ffff:/, "") ?? ""));
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  // HTTP/1.1 sockets and their open requests, so shutdown can close idle ones at once.
  const h1Busy = new Map<net.Socket, number>();
  let closing = false;
  h1.on("connection", (socket: net.Socket) => {
    h1Busy.set(socket, 0);
    socket.once("close", () => h1Busy.delete(socket));
  });
  h1.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    h1Busy.set(socket, (h1Busy.get(socket) ?? 0) + 1);
    if (closing) res.shouldKeepAlive = false;
    res.once("close", () => {
      const busy = (h1Busy.get(socket) ?? 1) - 1;
      h1Busy.set(socket, busy);
      if (closing && busy === 0) socket.destroySoon();
    });
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.once("readable", () => {
      const head: Buffer | null = socket.read();
      if (head === null) return;
      socket.unshift(head);
      if (secure !== undefined && head[0] === tlsHandshake) {
        secure.emit("connection", socket);
        return;
      }
      if (!cleartextAllowed(socket)) {
        auditRefusal(app.audit, config.auth, {
          by: "cleartext",
          message: "cleartext is accepted from this machine only (OTTOSCALER_CLEARTEXT)",
          socket,
        });
        // Closed outright once written: the client's request is never read.
        socket.end(refusedCleartext, () => socket.destroy());
        return;
      }
      const isHttp2 = http2Preface
        .subarray(0, Math.min(head.length, http2Preface.length))
        .equals(head.subarray(0, Math.min(head.length, http2Preface.length)));
      (isHttp2 ? h2 : h1).emit("connection", socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  return {
    port,
    url: `http://${host}:${port}`,
    ...(secure !== undefined && { secureUrl: `https://${host}:${port}` }),
    async close() {
      certificate?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.close();
      // HTTP/1.1 connections go as soon as their current response ends.
      closing = true;
      for (const [socket, busy] of h1Busy) if (busy === 0) socket.destroySoon();
      const deadline = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, config.shutdownTimeoutMs);
      await closed;
      clearTimeout(deadline);
    },
  };
}

import type http from "node:http";
import type http2 from "node:http2";
import type { TLSSocket } from "node:tls";
import { Code, ConnectError, createConnectRouter, createContextValues } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { ApiDeps } from "../api/api-deps.ts";
import { createAuditInterceptor } from "../api/audit-interceptor.ts";
import { createAuthInterceptor } from "../api/auth-interceptor.ts";
import { createErrorInterceptor } from "../api/error-interceptor.ts";
import { createMetricsInterceptor } from "../api/metrics-interceptor.ts";
import { routes } from "../api/routes.ts";
import { createShutdownInterceptor } from "../api/shutdown-interceptor.ts";
import { createStandbyInterceptor } from "../api/standby-interceptor.ts";
import { type Peer, peerKey } from "../auth/identity.ts";
import { checkBinaryBodies, rejectMarkedBodies } from "./binary-body-check.ts";
import { coalescedBody } from "./coalesced-body.ts";
import { serveNdjson, wantsNdjson } from "./ndjson-stream.ts";
import { reply } from "./reply.ts";
import { answerWrongContentType } from "./unknown-method.ts";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

/** Serves the API's RPCs on either HTTP version; other paths get `fallback`. */
export function createRpcHandler(app: ApiDeps, fallback: (req: Request, res: Response) => void) {
  const router = createConnectRouter({
    // A standby refuses before anything is recorded; the audit sees the final code; errors
    // leave as ConnectErrors (denials too); callers are known before bodies are judged.
    interceptors: [
      ...(app.metrics.enabled ? [createMetricsInterceptor(app.metrics)] : []),
      createStandbyInterceptor(() => app.active),
      createAuditInterceptor(app.audit),
      createErrorInterceptor(app.logger),
      // Inside the error interceptor, which turns its "unavailable" into the Connect code.
      createShutdownInterceptor(app.stopping),
      createAuthInterceptor(app.auth, app.logger),
      app.limits.interceptor(),
      rejectMarkedBodies,
    ],
    readMaxBytes: app.config.maxRequestBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
  });
  routes(app)(router);
  const paths = new Map<string, UniversalHandler>(
    router.handlers.map((h) => [
      h.requestPath,
      // A client stream (reflection's) has no one body to check before it is answered.
      h.method.methodKind === "bidi_streaming"
        ? h
        : checkBinaryBodies(h, app.config.maxRequestBytes),
    ]),
  );
  const mtls = app.config.auth === "mtls";
  return (req: Request, res: Response): void => {
    const handler = paths.get(req.url?.split("?", 1)[0] ?? "");
    if (handler === undefined) {
      fallback(req, res);
      return;
    }
    const failed = (error: unknown) => {
      // A client that went away mid-response is not an error of ours.
      if (ConnectError.from(error).code === Code.Aborted) return;
      app.logger.error("internalError", { procedure: handler.method.name, error: String(error) });
      if (!res.headersSent) reply(res, 500, "internal error\n");
      else res.end();
    };
    const contextValues = createContextValues().set(peerKey, peerOf(req, mtls));
    if (wantsNdjson(req, handler)) {
      const uReq = universalRequestFromNodeRequest(req, res, undefined, contextValues);
      serveNdjson(handler, uReq, req, res, {
        maxRequestBytes: app.config.maxRequestBytes,
        heartbeatMs: app.config.ndjsonHeartbeatMs,
      }).catch((error: unknown) => failed(error));
      return;
    }
    const type = req.headers["content-type"] ?? "";
    if (req.method === "POST" && type !== "" && !handler.supportedContentType(type)) {
      answerWrongContentType(res, handler.method, type);
      return;
    }
    handler(universalRequestFromNodeRequest(req, res, undefined, contextValues))
      .then((uRes) =>
        universalResponseToNodeResponse(
          // Only streams have many messages to put together; a unary answer goes out as it is.
          uRes.body === undefined || handler.method.methodKind === "unary"
            ? uRes
            : { ...uRes, body: coalescedBody(uRes.body) },
          res,
        ),
      )
      .catch(failed);
  };
}

/** The connection as the authentication interceptor needs it. */
export function peerOf(req: Request, withCertificate: boolean): Peer {
  // On HTTP/2 this is a proxy of the connection's socket: read its properties, not its class.
  const socket = req.socket as typeof req.socket & Partial<TLSSocket>;
  const peer: Peer = {
    address: `${socket.remoteAddress ?? ""}:${socket.remotePort ?? ""}`,
    tls: socket.encrypted === true,
  };
  if (!withCertificate || socket.encrypted !== true) return peer;
  const cert = socket.getPeerCertificate?.();
  if (cert === undefined || Object.keys(cert).length === 0) return peer;
  const list = (value: string | string[] | undefined) =>
    value === undefined ? [] : Array.isArray(value) ? value : [value];
  const error = socket.authorizationError;
  peer.certificate = {
    trusted: socket.authorized === true,
    ...(error !== undefined && { error: String(error) }),
    commonName: list(cert.subject?.CN)[0] ?? "",
    organizations: list(cert.subject?.O),
  };
  return peer;
}

import type http from "node:http";
import type http2 from "node:http2";
import { Code, ConnectError, createConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { ApiDeps } from "../api/api-deps.ts";
import { createErrorInterceptor } from "../api/error-interceptor.ts";
import { routes } from "../api/routes.ts";
import { checkBinaryBodies, rejectMarkedBodies } from "./binary-body-check.ts";
import { coalescedBody } from "./coalesced-body.ts";
import { reply } from "./reply.ts";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

/** Serves the API's RPCs on either HTTP version; other paths get `fallback`. */
export function createRpcHandler(app: ApiDeps, fallback: (req: Request, res: Response) => void) {
  const router = createConnectRouter({
    interceptors: [createErrorInterceptor(app.logger), rejectMarkedBodies],
    readMaxBytes: app.config.maxRequestBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
  });
  routes(app)(router);
  const paths = new Map<string, UniversalHandler>(
    router.handlers.map((h) => [h.requestPath, checkBinaryBodies(h, app.config.maxRequestBytes)]),
  );
  return (req: Request, res: Response): void => {
    const handler = paths.get(req.url?.split("?", 1)[0] ?? "");
    if (handler === undefined) {
      fallback(req, res);
      return;
    }
    handler(universalRequestFromNodeRequest(req, res, undefined, undefined))
      .then((uRes) =>
        universalResponseToNodeResponse(
          // Only streams have many messages to put together; a unary answer goes out as it is.
          uRes.body === undefined || handler.method.methodKind === "unary"
            ? uRes
            : { ...uRes, body: coalescedBody(uRes.body) },
          res,
        ),
      )
      .catch((error: unknown) => {
        // A client that went away mid-response is not an error of ours.
        if (ConnectError.from(error).code === Code.Aborted) return;
        app.logger.error("internalError", { procedure: handler.method.name, error: String(error) });
        if (!res.headersSent) reply(res, 500, "internal error\n");
      });
  };
}

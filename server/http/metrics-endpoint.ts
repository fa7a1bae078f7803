import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { ApiDeps } from "../api/api-deps.ts";
import { pathRules } from "../auth/access-rules.ts";
import { isErrorKind } from "../domain/errors.ts";
import { reply } from "./reply.ts";
import { peerOf } from "./request-handler.ts";

export const metricsPath = "/metrics";

/**
 * GET /metrics: the Prometheus text format, to a caller the access rule
 * `GET /metrics` allows (a bearer token or client certificate, as for RPCs).
 */
export async function serveMetrics(
  app: Pick<ApiDeps, "metrics" | "auth" | "config" | "logger">,
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
): Promise<void> {
  if (!app.metrics.enabled) {
    reply(res, 404, "metrics are off (OTTOSCALER_METRICS)\n");
    return;
  }
  const rule = pathRules[`GET ${metricsPath}`];
  try {
    const identity = await app.auth.authenticate({
      authorization: req.headers.authorization ?? null,
      peer: peerOf(req, app.config.auth === "mtls"),
    });
    await app.auth.authorize(identity, rule, `GET ${metricsPath}`);
  } catch (error) {
    const status = isErrorKind(error, "unauthenticated")
      ? 401
      : isErrorKind(error, "permission-denied")
        ? 403
        : 500;
    if (status === 500)
      app.logger.error("internalError", { procedure: metricsPath, error: String(error) });
    reply(res, status, status === 500 ? "internal error\n" : `${(error as Error).message}\n`);
    return;
  }
  const { contentType, body } = await app.metrics.exposition();
  res.statusCode = 200;
  res.setHeader("content-type", contentType);
  res.end(body);
}

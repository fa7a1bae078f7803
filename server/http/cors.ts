import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { cors } from "@connectrpc/connect";
import { requestHost } from "./host-check.ts";
import { type AnyResponse, reply } from "./reply.ts";

type Request = IncomingMessage | Http2ServerRequest;

/**
 * CORS for browsers speaking gRPC-Web or Connect: same-origin always, other
 * origins only when configured (`*` for any). Returns true when it has answered
 * the request itself: a preflight, or a request from an origin not allowed,
 * which is refused before it reaches an RPC (a "simple" cross-origin POST is
 * sent by browsers without a preflight, so hiding the answer is not enough).
 */
export function handleCors(
  req: Request,
  res: AnyResponse,
  allowedOrigins: readonly string[],
  scheme: "http" | "https",
  onRefused: (message: string) => void,
): boolean {
  const origin = req.headers.origin;
  if (typeof origin !== "string") return false;
  if (isSameOrigin(origin, req, scheme)) return false;
  const any = allowedOrigins.includes("*");
  if (!any && !allowedOrigins.includes(origin)) {
    const message = `origin ${origin} is not allowed (OTTOSCALER_CORS_ORIGINS)\n`;
    onRefused(message);
    reply(res, 403, message);
    return true;
  }
  res.setHeader("access-control-allow-origin", any ? "*" : origin);
  if (!any) res.setHeader("vary", "Origin");
  res.setHeader("access-control-expose-headers", cors.exposedHeaders.join(", "));
  if (req.method !== "OPTIONS") return false;
  reply(res, 204, "", {
    "access-control-allow-methods": cors.allowedMethods.join(", "),
    "access-control-allow-headers": [...cors.allowedHeaders, "Authorization"].join(", "),
    "access-control-max-age": "7200",
  });
  return true;
}

/** The page's origin is this server as the request names it ("null" never is). */
function isSameOrigin(origin: string, req: Request, scheme: string): boolean {
  const host = requestHost(req);
  if (host === undefined || origin === "null") return false;
  try {
    return new URL(origin).origin === new URL(`${scheme}://${host}`).origin;
  } catch {
    return false;
  }
}

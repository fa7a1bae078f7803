import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { cors } from "@connectrpc/connect";
import { type AnyResponse, reply } from "./reply.ts";

type Request = IncomingMessage | Http2ServerRequest;

/**
 * CORS for browsers speaking gRPC-Web or Connect. Returns true when it has
 * answered the request itself (a preflight).
 */
export function handleCors(
  req: Request,
  res: AnyResponse,
  allowedOrigins: readonly string[],
): boolean {
  const origin = req.headers.origin;
  if (typeof origin !== "string") return false;
  const any = allowedOrigins.includes("*");
  if (!any && !allowedOrigins.includes(origin)) {
    if (req.method !== "OPTIONS") return false;
    reply(res, 403, `origin ${origin} is not allowed\n`);
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

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

/** A small plain response on either HTTP version. */
export function reply(
  res: AnyResponse,
  status: number,
  body = "",
  headers: Record<string, string> = {},
): void {
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (body !== "") res.setHeader("content-type", "text/plain; charset=utf-8");
  res.end(body);
}

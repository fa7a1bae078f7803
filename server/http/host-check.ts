import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";

type Request = IncomingMessage | Http2ServerRequest;

/** The Host header (HTTP/1.1) or :authority (HTTP/2), port included. */
export function requestHost(req: Request): string | undefined {
  const authority = req.headers[":authority"] ?? req.headers.host;
  return typeof authority === "string" && authority !== "" ? authority : undefined;
}

/** The name part of a Host value: "[::1]:9090" → "::1", "Localhost:80" → "localhost". */
export function hostName(host: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(host);
  if (bracketed) return (bracketed[1] ?? "").toLowerCase();
  const colon = host.lastIndexOf(":");
  // More than one colon without brackets is a bare IPv6 address, not host:port.
  const name = colon !== -1 && host.indexOf(":") === colon ? host.slice(0, colon) : host;
  return name.toLowerCase().replace(/\.$/, "");
}

/**
 * Whether the request names a host this server answers to. A page on a name
 * the attacker controls, re-pointed at 127.0.0.1 (DNS rebinding), is
 * same-origin to itself but sends its own name here, so it is refused.
 */
export function hostAllowed(req: Request, allowed: readonly string[]): boolean {
  if (allowed.includes("*")) return true;
  const host = requestHost(req);
  if (host === undefined) return false;
  const name = hostName(host);
  return allowed.some((a) => a.toLowerCase() === name);
}

import type { DescMethod } from "@bufbuild/protobuf";
import { protocolOf } from "../audit/audit-record.ts";
import type { Metrics } from "../observability/metrics.ts";
import { type AnyRequest as Request, type AnyResponse as Response, reply } from "./reply.ts";

const grpcType = /^application\/grpc(-web(-text)?)?([+;]|$)/i;
const connectType = /^application\/(json|proto|connect\+(json|proto))([+;]|$)/i;

/** The gRPC book's percent-encoding of grpc-message: printable ASCII but '%' as it is. */
export function encodeGrpcMessage(message: string): string {
  return Array.from(Buffer.from(message, "utf8"))
    .map((b) =>
      b >= 0x20 && b <= 0x7e && b !== 0x25
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
    )
    .join("");
}

/**
 * A path no handler serves. A gRPC or gRPC-Web client gets what gRPC servers
 * send: HTTP 200, trailers-only, `grpc-status: 12`; a Connect client a 404 with
 * a Connect error body; anything else a plain 404.
 */
export function answerUnknownMethod(req: Request, res: Response, metrics?: Metrics): void {
  const path = req.url?.split("?", 1)[0] ?? "";
  const message = `unknown method ${path}: not served here`;
  const type = String(req.headers["content-type"] ?? "");
  // Never the path itself: anyone could make the label set grow without bound.
  if (metrics?.enabled && req.method === "POST") {
    const unknown = { service: "unknown", method: "unknown", protocol: protocolOf(type) };
    metrics.rpcs.inc({ ...unknown, code: "unimplemented" });
  }
  if (req.method === "POST" && grpcType.test(type)) {
    const headers = {
      "content-type": type.split(";", 1)[0] ?? type,
      "grpc-status": "12",
      "grpc-message": encodeGrpcMessage(message),
    };
    const stream = "stream" in res ? res.stream : undefined;
    // HTTP/2: one HEADERS frame that ends the stream is what "trailers-only" means.
    if (stream !== undefined && !stream.headersSent && !stream.destroyed) {
      stream.respond({ ":status": 200, ...headers }, { endStream: true });
      return;
    }
    reply(res, 200, "", headers);
    return;
  }
  if (req.method === "POST" && connectType.test(type)) {
    res.statusCode = 404;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ code: "unimplemented", message }));
    return;
  }
  reply(res, 404, `not found: ${message}\n`);
}

const grpcTypes = [
  "application/grpc",
  "application/grpc+proto",
  "application/grpc+json",
  "application/grpc-web",
  "application/grpc-web+proto",
  "application/grpc-web+json",
];

/** The content types a method answers, for a client that sent another one. */
export function contentTypesOf(method: DescMethod): string[] {
  const connect =
    method.methodKind === "unary"
      ? ["application/json", "application/proto"]
      : // Plain JSON answers a stream as newline-delimited JSON (curl).
        ["application/connect+json", "application/connect+proto", "application/json"];
  return [...grpcTypes, ...connect];
}

/** 415 with the content types that work, instead of connect-es's empty answer. */
export function answerWrongContentType(res: Response, method: DescMethod, sent: string): void {
  const name = `/${method.parent.typeName}/${method.name}`;
  reply(
    res,
    415,
    `content type "${sent}" is not served for ${name}; use one of: ${contentTypesOf(method).join(", ")}\n`,
  );
}

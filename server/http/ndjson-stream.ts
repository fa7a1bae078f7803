import { type DescMessage, ScalarType } from "@bufbuild/protobuf";
import type { UniversalHandler, UniversalServerRequest } from "@connectrpc/connect/protocol";
import { accessRuleOf } from "../auth/access-rules.ts";
import { type AnyRequest as Request, type AnyResponse as Response, reply } from "./reply.ts";

/** Connect's envelope flag for the message that ends a stream. */
const endStreamFlag = 0b10;

/**
 * Whether a request to a server stream is one for newline-delimited JSON:
 * a POST of plain application/json (Connect streams take
 * application/connect+json), or a GET of a stream that changes nothing.
 */
export function wantsNdjson(req: Request, handler: UniversalHandler): boolean {
  if (handler.method.methodKind !== "server_streaming") return false;
  if (req.method === "GET") return true;
  return (
    req.method === "POST" && /^application\/json(;|$)/i.test(req.headers["content-type"] ?? "")
  );
}

/** A GET's query parameters as the request's JSON: repeated keys are lists, booleans are booleans. */
export function queryToJson(query: URLSearchParams, input: DescMessage): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    const field = input.fields.find((f) => f.jsonName === key || f.name === key);
    const values = query.getAll(key);
    if (field === undefined) {
      json[key] = values.at(-1);
      continue;
    }
    const scalar = (field.fieldKind === "scalar" || field.fieldKind === "list") && field.scalar;
    const typed =
      scalar === ScalarType.BOOL ? values.map((v) => v === "true" || v === "1") : values;
    json[field.jsonName] = field.fieldKind === "list" ? typed : typed.at(-1);
  }
  return json;
}

function envelope(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + data.byteLength);
  new DataView(out.buffer).setUint32(1, data.byteLength);
  out.set(data, 5);
  return out;
}

/** The envelopes of a Connect stream's body, as they arrive. */
async function* envelopes(body: AsyncIterable<Uint8Array>) {
  let buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 5) {
      const length = buffer.readUInt32BE(1);
      if (buffer.length < 5 + length) break;
      yield { flags: buffer[0] ?? 0, data: buffer.subarray(5, 5 + length) };
      buffer = buffer.subarray(5 + length);
    }
  }
}

async function bodyOf(req: Request, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Serves a server stream as newline-delimited JSON, for curl: one message a
 * line, written as it comes; an error as a last `{"error":{"code","message"}}`
 * line; an empty line after `heartbeatMs` of silence, so that proxies keep
 * the stream open. The call goes through the Connect handler as a Connect
 * stream, so every interceptor (authentication, limits, audit) sees it as any
 * other call.
 */
export async function serveNdjson(
  handler: UniversalHandler,
  uReq: UniversalServerRequest,
  req: Request,
  res: Response,
  options: { maxRequestBytes: number; heartbeatMs: number },
): Promise<void> {
  const { method } = handler;
  let json: string;
  if (req.method === "GET") {
    const rule = accessRuleOf(method.parent.typeName, method.name);
    if (rule !== "open" && (rule === undefined || rule.mutating)) {
      reply(res, 405, `${method.name} changes things: POST it (a GET has no side effects)\n`, {
        allow: "POST",
      });
      return;
    }
    const query = new URL(req.url ?? "/", "http://localhost").searchParams;
    json = JSON.stringify(queryToJson(query, method.input));
  } else {
    const body = await bodyOf(req, options.maxRequestBytes);
    if (body === undefined) {
      reply(
        res,
        413,
        `the request is larger than ${options.maxRequestBytes} bytes (OTTOSCALER_MAX_REQUEST_BYTES)\n`,
      );
      return;
    }
    json = body.length === 0 ? "{}" : body.toString("utf8");
  }
  const header = new Headers(uReq.header);
  header.set("content-type", "application/connect+json");
  header.delete("content-length");
  const uRes = await handler({
    ...uReq,
    method: "POST",
    header,
    body: (async function* () {
      yield envelope(Buffer.from(json, "utf8"));
    })(),
  });
  // Both HTTP versions' responses write strings and bytes alike.
  const sink = res as unknown as { write(data: string): boolean; end(data?: Uint8Array): void };
  if (uRes.status !== 200 || uRes.body === undefined || uRes.body instanceof Uint8Array) {
    // Refused before any stream began (no such content, a method not allowed): as it is.
    res.statusCode = uRes.status;
    sink.end(uRes.body instanceof Uint8Array ? uRes.body : undefined);
    return;
  }
  const body = uRes.body;
  res.statusCode = 200;
  res.setHeader("content-type", "application/x-ndjson");
  res.setHeader("cache-control", "no-store");
  // nginx and its kin pass the lines on as they come.
  res.setHeader("x-accel-buffering", "no");
  let heartbeat: NodeJS.Timeout | undefined;
  const quiet = () => {
    clearTimeout(heartbeat);
    heartbeat = setTimeout(() => {
      sink.write("\n");
      quiet();
    }, options.heartbeatMs);
  };
  quiet();
  try {
    for await (const { flags, data } of envelopes(body)) {
      if ((flags & endStreamFlag) === 0) {
        sink.write(`${data.toString("utf8")}\n`);
        quiet();
        continue;
      }
      const end = JSON.parse(data.toString("utf8")) as {
        error?: { code?: string; message?: string };
      };
      if (end.error !== undefined) {
        const error = { code: end.error.code ?? "unknown", message: end.error.message ?? "" };
        sink.write(`${JSON.stringify({ error })}\n`);
      }
    }
  } finally {
    clearTimeout(heartbeat);
    sink.end();
  }
}

import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";

/**
 * connect-es answers a binary body that is not the request message with
 * Internal, though it answers the same fault in JSON with InvalidArgument.
 * A bad body is the client's error, so binary requests are decoded once here
 * first; a body that does not decode is replaced by an empty message marked
 * with this header, and `rejectMarkedBodies` answers it InvalidArgument.
 */
const marker = "ottoscaler-invalid-body";

const enveloped = /^application\/(grpc|grpc\+proto|grpc-web|grpc-web\+proto|connect\+proto)(;|$)/i;
const plain = /^application\/proto(;|$)/i;

export function checkBinaryBodies(
  handler: UniversalHandler,
  readMaxBytes: number,
): UniversalHandler {
  const checked = async (req: Parameters<UniversalHandler>[0]) => {
    req.header.delete(marker);
    const type = req.header.get("content-type") ?? "";
    const isEnveloped = enveloped.test(type);
    if (!(isEnveloped || plain.test(type)) || !isByteStream(req.body)) return handler(req);
    // Compressed bodies are left to connect-es, which decompresses them itself.
    if (!isEnveloped && req.header.get("content-encoding")) return handler(req);
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of req.body) {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size > readMaxBytes + 5) {
        // Over the limit: let connect-es refuse it with ResourceExhausted.
        return handler({ ...req, body: replay(chunks, req.body) });
      }
    }
    const body = Buffer.concat(chunks);
    const problem = isEnveloped ? checkEnvelope(body, handler) : decodeProblem(body, handler);
    if (problem === undefined) return handler({ ...req, body: once(body) });
    req.header.set(marker, problem);
    const empty = isEnveloped ? new Uint8Array(5) : new Uint8Array(0);
    return handler({ ...req, body: once(empty) });
  };
  return Object.assign(checked, {
    protocolNames: handler.protocolNames,
    service: handler.service,
    method: handler.method,
    requestPath: handler.requestPath,
    allowedMethods: handler.allowedMethods,
    supportedContentType: handler.supportedContentType,
  });
}

/** Turns a marked request into InvalidArgument before it reaches a handler. */
export const rejectMarkedBodies: Interceptor = (next) => async (req) => {
  const problem = req.header.get(marker);
  if (problem !== null) {
    throw new ConnectError(
      `request body is not a valid ${req.method.input.typeName}: ${problem}`,
      Code.InvalidArgument,
    );
  }
  return next(req);
};

function checkEnvelope(body: Buffer, handler: UniversalHandler): string | undefined {
  if (body.length < 5) return body.length === 0 ? undefined : "truncated message frame";
  const flags = body[0] ?? 0;
  if ((flags & 0b1) !== 0) return undefined; // compressed: connect-es checks it after inflating
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return "truncated message frame";
  return decodeProblem(body.subarray(5, 5 + length), handler);
}

function decodeProblem(bytes: Uint8Array, handler: UniversalHandler): string | undefined {
  try {
    fromBinary(handler.method.input, bytes);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function isByteStream(body: unknown): body is AsyncIterable<Uint8Array> {
  return typeof body === "object" && body !== null && Symbol.asyncIterator in body;
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

async function* replay(
  head: Uint8Array[],
  rest: AsyncIterable<Uint8Array>,
): AsyncIterable<Uint8Array> {
  yield* head;
  yield* rest;
}

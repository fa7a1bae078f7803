import { Code, ConnectError } from "@connectrpc/connect";

/** Node's codes for a connection refused, cut or timed out: the server or the way to it is away. */
const connectionCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_HTTP2_STREAM_ERROR",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
  "UND_ERR_SOCKET",
]);

/** What a cut connection says when it carries no code (a stream's body or trailers cut short). */
const connectionMessages =
  /socket hang up|premature close|other side closed|terminated|missing (trailers?|EndStreamResponse)|stream closed|session closed|GOAWAY/i;

/** Codes a cut connection surfaces as; any other code is the server's answer and final. */
const maybeCut = new Set([Code.Unknown, Code.Internal, Code.Aborted, Code.Canceled, Code.DataLoss]);

function causes(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let e = error; e instanceof Error && !chain.includes(e); e = e.cause) chain.push(e);
  return chain;
}

/**
 * Why a failed stream is worth opening again (the server is shutting down, or the connection
 * to it was refused or cut), or undefined when it is not (the server's own answer, such as
 * NotFound). The one place ottoctl tells the two apart.
 */
export function retryableReason(error: unknown): string | undefined {
  if (error instanceof ConnectError) {
    if (error.code === Code.Unavailable) return error.rawMessage;
    if (!maybeCut.has(error.code)) return undefined;
  }
  for (const e of causes(error)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && connectionCodes.has(code)) {
      // Node's message alone can be as short as "aborted": the code says what happened.
      return e.message.includes(code) ? e.message : `${e.message}: ${code}`;
    }
    if (connectionMessages.test(e.message)) return e.message;
  }
  return undefined;
}

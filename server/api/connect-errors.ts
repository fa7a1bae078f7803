import { Code, ConnectError } from "@connectrpc/connect";
import { type ErrorKind, OttoscalerError } from "../domain/errors.ts";

/** The one place a domain error kind becomes a Connect code. */
const codeOf: Record<ErrorKind, Code> = {
  invalid: Code.InvalidArgument,
  "not-found": Code.NotFound,
  "already-exists": Code.AlreadyExists,
  precondition: Code.FailedPrecondition,
  "out-of-range": Code.OutOfRange,
  exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  cancelled: Code.Canceled,
  unauthenticated: Code.Unauthenticated,
  "permission-denied": Code.PermissionDenied,
  internal: Code.Internal,
};

/**
 * What a client is told of an error: a ConnectError as it is, a domain error
 * with its kind's code and its message (the cause kept for logs), anything
 * else undefined, for the caller to treat as a bug.
 */
export function connectErrorOf(error: unknown): ConnectError | undefined {
  if (error instanceof ConnectError) return error;
  if (error instanceof OttoscalerError && error.kind !== "internal") {
    return new ConnectError(error.message, codeOf[error.kind], undefined, undefined, error);
  }
  return undefined;
}

function rethrown(error: unknown): unknown {
  return connectErrorOf(error) ?? error;
}

async function* mappedStream<T>(stream: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* stream;
  } catch (error) {
    throw rethrown(error);
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/**
 * A service implementation whose methods throw ConnectErrors only: domain
 * errors are mapped where they leave each method, unary or streaming, so every
 * transport (a real port, or createRouterTransport in tests) answers alike.
 * Anything else is left for the error interceptor, which treats it as a bug.
 */
export function withConnectErrors<T extends object>(impl: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(impl)) {
    if (typeof method !== "function") continue;
    wrapped[name] = (...args: unknown[]) => {
      let result: unknown;
      try {
        result = method.apply(impl, args);
      } catch (error) {
        throw rethrown(error);
      }
      if (result instanceof Promise) {
        return result.catch((error: unknown) => {
          throw rethrown(error);
        });
      }
      return isAsyncIterable(result) ? mappedStream(result) : result;
    };
  }
  return wrapped as T;
}

import { Code, ConnectError } from "@connectrpc/connect";
import { type ErrorKind, OttoscalerError } from "../domain/errors.ts";

/** The one place a domain error kind becomes a Connect code. */
const codeOf: Record<ErrorKind, Code> = {
  invalid: Code.InvalidArgument,
  "not-found": Code.NotFound,
  "already-exists": Code.AlreadyExists,
  precondition: Code.FailedPrecondition,
  exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  cancelled: Code.Canceled,
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

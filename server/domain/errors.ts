/**
 * What went wrong, in the domain's words. The API edge picks the Connect code
 * for each kind (server/api/connect-errors.ts); nothing below it knows of RPC codes.
 */
export type ErrorKind =
  /** The caller's input is wrong (a field, a bound). */
  | "invalid"
  /** The thing asked for does not exist (or no longer does). */
  | "not-found"
  /** The thing to create exists already, or existed once and its name stays taken. */
  | "already-exists"
  /** The request is valid but not in the thing's current state (cancel of an ended pipeline). */
  | "precondition"
  /** A position asked for is past the end of what exists (an event after a finished pipeline's last). */
  | "out-of-range"
  /** A limit is reached; the same request may work later. */
  | "exhausted"
  /** What the work depends on is away for now; retrying may help. */
  | "unavailable"
  /** The work was cancelled. */
  | "cancelled"
  /** The caller did not say who it is, or its credentials are not valid (missing, malformed, expired). */
  | "unauthenticated"
  /** The caller is known but may not do this. */
  | "permission-denied"
  /** A bug or an unexpected state: never the caller's fault. */
  | "internal";

/** The one error type the engine, workers, executors and logs raise on purpose. */
export class OttoscalerError extends Error {
  override name = "OttoscalerError";
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

export function isErrorKind(error: unknown, kind: ErrorKind): boolean {
  return error instanceof OttoscalerError && error.kind === kind;
}

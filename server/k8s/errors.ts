import { Code, ConnectError } from "@connectrpc/connect";

/** The HTTP status of a Kubernetes API error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === "number") return e.code;
  if (typeof e.statusCode === "number") return e.statusCode;
  return undefined;
}

export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

/** The message the API server gave, not the client's generic wrapper text. */
function messageOf(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      // not JSON: fall through
    }
  } else if (typeof body === "object" && body !== null && "message" in body) {
    return String((body as { message: unknown }).message);
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The one place a Kubernetes API error becomes a Connect code. The cause is
 * kept on the ConnectError for logs.
 */
export function kubernetesErrorToConnect(error: unknown, doing: string): ConnectError {
  if (error instanceof ConnectError) return error;
  const status = statusOf(error);
  const code =
    status === 404
      ? Code.NotFound
      : status === 409
        ? Code.AlreadyExists
        : status === 422 || status === 400
          ? Code.InvalidArgument
          : status === 401
            ? Code.Unauthenticated
            : status === 403
              ? Code.PermissionDenied
              : status === 429 || (status !== undefined && status >= 500) || status === undefined
                ? Code.Unavailable
                : Code.Unknown;
  return new ConnectError(`${doing}: ${messageOf(error)}`, code, undefined, undefined, error);
}

import { type ErrorKind, OttoscalerError } from "../domain/errors.ts";

/** The HTTP status of a Kubernetes API error, if it has one. */
function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === "number") return e.code;
  if (typeof e.statusCode === "number") return e.statusCode;
  return undefined;
}

export function isNotFound(error: unknown): boolean {
  return classifyKubernetesError(error, "").class === "not-found";
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
 * What a Kubernetes API error means for whoever called: `transient` (the API
 * server is away, overloaded or restarting: try again), `conflict` (the object
 * exists, or changed since it was read), `not-found`, `forbidden` (our
 * credentials or RBAC do not allow it), `invalid` (the request itself is wrong).
 */
export type KubernetesErrorClass = "transient" | "conflict" | "not-found" | "forbidden" | "invalid";

const kindOf: Record<KubernetesErrorClass, ErrorKind> = {
  transient: "unavailable",
  conflict: "already-exists",
  "not-found": "not-found",
  forbidden: "precondition",
  invalid: "invalid",
};

/** A Kubernetes API call that failed, classified once; the client's error is its cause. */
export class KubernetesError extends OttoscalerError {
  override name = "KubernetesError";
  readonly class: KubernetesErrorClass;
  /** The HTTP status, if the API server answered at all. */
  readonly status: number | undefined;

  constructor(error: unknown, doing: string) {
    const status = statusOf(error);
    const errorClass = classify(status);
    super(kindOf[errorClass], `${doing}: ${messageOf(error)}`, { cause: error });
    this.class = errorClass;
    this.status = status;
  }
}

function classify(status: number | undefined): KubernetesErrorClass {
  // No status: the request never got an answer (connection refused, reset, timed out).
  if (status === undefined || status === 429 || status >= 500) return "transient";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status === 401 || status === 403) return "forbidden";
  return "invalid";
}

/** The one place a Kubernetes API error is classified. */
export function classifyKubernetesError(error: unknown, doing: string): KubernetesError {
  return error instanceof KubernetesError ? error : new KubernetesError(error, doing);
}

/** The class of an error classified here, or undefined for any other error. */
export function errorClassOf(error: unknown): KubernetesErrorClass | undefined {
  return error instanceof KubernetesError ? error.class : undefined;
}

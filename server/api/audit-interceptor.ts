import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { type AuditRecord, type AuditTrail, protocolOf } from "../audit/audit-record.ts";
import { accessRuleOf } from "../auth/access-rules.ts";
import { identityKey, peerKey } from "../auth/identity.ts";
import { traceIdOf, validTraceparent } from "../observability/trace-context.ts";

type Ids = Pick<AuditRecord, "pipelineId" | "taskId" | "workerId">;

/** The pipeline, task and worker a message names, if it names any. */
function idsOf(message: unknown): Ids {
  const m = (message ?? {}) as Record<string, unknown>;
  const ids: Ids = {};
  for (const key of ["pipelineId", "taskId", "workerId"] as const) {
    const value = m[key];
    if (typeof value === "string" && value !== "") ids[key] = value;
  }
  return ids;
}

const refusals = new Set([Code.Unauthenticated, Code.PermissionDenied, Code.ResourceExhausted]);

/**
 * The audit trail of the API: every mutating call (by its access rule) and
 * every refused call, once each, with the caller, where it came from, what it
 * named and how it ended. A mutating stream (ExecutePipeline) is recorded
 * when its first message goes out (the work was accepted, and its id is
 * known) or when it fails before that. Outermost, so it sees the final code.
 */
export function createAuditInterceptor(audit: AuditTrail): Interceptor {
  return (next) => async (req) => {
    const rule = accessRuleOf(req.service.typeName, req.method.name);
    const mutating = rule !== undefined && rule !== "open" && rule.mutating;
    const started = performance.now();
    let ids: Ids = {};
    const write = (error: unknown, response?: unknown) => {
      const connectError = error === undefined ? undefined : ConnectError.from(error);
      if (!mutating && (connectError === undefined || !refusals.has(connectError.code))) return;
      const identity = req.contextValues.get(identityKey);
      const traceparent = validTraceparent(req.header.get("traceparent"));
      audit.record({
        time: new Date().toISOString(),
        user: identity?.user ?? "",
        groups: identity?.groups ?? [],
        source: req.contextValues.get(peerKey).address,
        protocol: protocolOf(req.header.get("content-type")),
        method: `${req.service.typeName}/${req.method.name}`,
        ...ids,
        ...idsOf(response),
        code: connectError === undefined ? "ok" : codeName(connectError.code),
        ...(connectError !== undefined && { message: connectError.rawMessage }),
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        auth: identity?.via ?? "",
        ...(traceparent !== undefined && { traceId: traceIdOf(traceparent) }),
      });
    };
    // A bidi stream (reflection) is left alone: its requests come while it answers, naming no ids.
    if (req.stream && req.method.methodKind === "server_streaming") {
      // A server stream's request is one message: read it for its ids, then hand it on.
      const messages: unknown[] = [];
      for await (const message of req.message) messages.push(message);
      ids = idsOf(messages[0]);
      req = { ...req, message: replay(messages) as typeof req.message };
    } else if (!req.stream) {
      ids = idsOf(req.message);
    }
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await next(req);
    } catch (error) {
      write(error);
      throw error;
    }
    if (!res.stream) {
      write(undefined, res.message);
      return res;
    }
    if (!mutating) return res;
    const stream = res.message;
    return {
      ...res,
      message: (async function* () {
        let first = true;
        try {
          for await (const message of stream) {
            if (first) write(undefined, message);
            first = false;
            yield message;
          }
          if (first) write(undefined);
        } catch (error) {
          if (first) write(error);
          throw error;
        }
      })(),
    };
  };
}

async function* replay<T>(messages: readonly T[]): AsyncIterable<T> {
  yield* messages;
}

/** "permission_denied" for Code.PermissionDenied, as Connect spells codes on the wire. */
function codeName(code: Code): string {
  return (Code[code] ?? "unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

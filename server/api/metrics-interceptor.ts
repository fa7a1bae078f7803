import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { protocolOf } from "../audit/audit-record.ts";
import type { Metrics } from "../observability/metrics.ts";

/** A code as Prometheus labels read best: "ok", "invalid_argument", … */
export function codeLabel(code: Code | undefined): string {
  return code === undefined
    ? "ok"
    : Code[code].replace(/[A-Z]/g, (c, i) => (i ? "_" : "") + c.toLowerCase());
}

/**
 * Counts and times every RPC by service, method, protocol and code; a server
 * stream is timed to its end and counted open while it lasts. Outermost, so
 * that refusals by the interceptors after it count with their codes.
 */
export function createMetricsInterceptor(metrics: Metrics): Interceptor {
  return (next) => async (req) => {
    const labels = {
      service: req.service.typeName,
      method: req.method.name,
      protocol: protocolOf(req.header.get("content-type")),
    };
    const started = performance.now();
    const done = (code: Code | undefined) => {
      metrics.rpcs.inc({ ...labels, code: codeLabel(code) });
      metrics.rpcSeconds.observe(labels, (performance.now() - started) / 1000);
    };
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await next(req);
    } catch (error) {
      done(ConnectError.from(error).code);
      throw error;
    }
    if (!res.stream) {
      done(undefined);
      return res;
    }
    const stream = { service: labels.service, method: labels.method };
    metrics.openStreams.inc(stream);
    const messages = res.message;
    async function* counted() {
      // A stream the client left ends here without an error of its own: cancelled.
      let code: Code | undefined = Code.Canceled;
      try {
        yield* messages;
        code = undefined;
      } catch (error) {
        code = ConnectError.from(error).code;
        throw error;
      } finally {
        metrics.openStreams.dec(stream);
        done(code);
      }
    }
    return { ...res, message: counted() };
  };
}

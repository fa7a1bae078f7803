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
  // Bound children per label set: prom-client hashes a label object on every call otherwise.
  const timers = new Map<string, { observe(seconds: number): void }>();
  const counters = new Map<string, { inc(): void }>();
  const openStreams = new Map<string, { inc(): void; dec(): void }>();
  const bound = <T>(cache: Map<string, T>, key: string, make: () => T): T => {
    let child = cache.get(key);
    if (child === undefined) {
      child = make();
      cache.set(key, child);
    }
    return child;
  };
  return (next) => async (req) => {
    const service = req.service.typeName;
    const method = req.method.name;
    const protocol = protocolOf(req.header.get("content-type"));
    const key = `${service}/${method} ${protocol}`;
    const started = performance.now();
    const done = (code: Code | undefined) => {
      const label = codeLabel(code);
      bound(counters, `${key} ${label}`, () =>
        metrics.rpcs.labels({ service, method, protocol, code: label }),
      ).inc();
      bound(timers, key, () => metrics.rpcSeconds.labels({ service, method, protocol })).observe(
        (performance.now() - started) / 1000,
      );
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
    const open = bound(openStreams, `${service}/${method}`, () =>
      metrics.openStreams.labels({ service, method }),
    );
    open.inc();
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
        open.dec();
        done(code);
      }
    }
    return { ...res, message: counted() };
  };
}

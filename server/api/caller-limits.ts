import { EventEmitter } from "node:events";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { accessRuleOf } from "../auth/access-rules.ts";
import { identityKey, peerKey } from "../auth/identity.ts";
import { RateLimiter } from "../util/rate-limiter.ts";

export interface CallerLimitSettings {
  auth: string;
  rateLimitPerMinute: number;
  rateLimitBurst: number;
  maxStreamsPerCaller: number;
}

/**
 * Per-caller limits, so one identity cannot crowd out the others: mutating
 * calls are rate-limited (token buckets) and open streams capped. Refusals
 * are ResourceExhausted with `retry-after` (seconds) and the wait in the
 * message. With authentication off there are no identities to tell apart
 * (and the server is on loopback): no limits.
 */
export class CallerLimits {
  /** Emits "released" (caller key) when one of a caller's streams ends. */
  readonly events = new EventEmitter();
  readonly #settings: CallerLimitSettings;
  readonly #rate: RateLimiter;
  readonly #streams = new Map<string, number>();

  constructor(settings: CallerLimitSettings) {
    this.#settings = settings;
    this.#rate = new RateLimiter({
      perMinute: settings.rateLimitPerMinute,
      burst: settings.rateLimitBurst,
    });
  }

  openStreams(caller: string): number {
    return this.#streams.get(caller) ?? 0;
  }

  /** Runs after authentication, so the caller is known. */
  interceptor(): Interceptor {
    return (next) => async (req) => {
      if (this.#settings.auth === "none") return next(req);
      const rule = accessRuleOf(req.service.typeName, req.method.name);
      const identity = req.contextValues.get(identityKey);
      // Open methods (health) have no identity: their callers are told apart by address.
      const caller =
        identity === undefined
          ? `address ${req.contextValues.get(peerKey).address.replace(/:\d+$/, "")}`
          : `${identity.via} user "${identity.user}"`;
      if (rule !== undefined && rule !== "open" && rule.mutating) {
        const waitMs = this.#rate.take(caller);
        if (waitMs !== undefined) {
          const { rateLimitPerMinute: perMinute, rateLimitBurst: burst } = this.#settings;
          throw exhausted(
            `rate limit: ${perMinute} mutating calls a minute (bursts of ${burst}) for ${caller}; retry in ${(waitMs / 1000).toFixed(1)}s`,
            waitMs,
          );
        }
      }
      if (req.method.methodKind !== "server_streaming") return next(req);
      const open = this.openStreams(caller);
      if (open >= this.#settings.maxStreamsPerCaller) {
        throw exhausted(
          `${caller} has ${open} streams open, the most allowed (OTTOSCALER_MAX_STREAMS_PER_CALLER); close one, or retry later`,
          1000,
        );
      }
      this.#streams.set(caller, open + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const left = this.openStreams(caller) - 1;
        if (left > 0) this.#streams.set(caller, left);
        else this.#streams.delete(caller);
        this.events.emit("released", caller);
      };
      let res: Awaited<ReturnType<typeof next>>;
      try {
        res = await next(req);
      } catch (error) {
        release();
        throw error;
      }
      if (!res.stream) {
        release();
        return res;
      }
      const stream = res.message;
      return {
        ...res,
        message: (async function* () {
          try {
            yield* stream;
          } finally {
            release();
          }
        })(),
      };
    };
  }
}

function exhausted(message: string, waitMs: number): ConnectError {
  return new ConnectError(message, Code.ResourceExhausted, {
    "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))),
  });
}

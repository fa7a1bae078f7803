import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../observability/logger.ts";
import { connectErrorOf } from "./connect-errors.ts";
import { mapStreamMessages } from "./stream-messages.ts";

/**
 * Only ConnectError leaves the API: a domain error gets its kind's code (see
 * connect-errors.ts); anything else is a bug, logged with its cause and sent
 * as Internal without internals.
 */
export function createErrorInterceptor(logger: Logger): Interceptor {
  const convert = (error: unknown, procedure: string): ConnectError => {
    const known = connectErrorOf(error);
    if (known !== undefined) return known;
    logger.error("internalError", {
      procedure,
      error:
        error instanceof Error ? { message: error.message, stack: error.stack } : String(error),
    });
    return new ConnectError("internal error", Code.Internal, undefined, undefined, error);
  };
  return (next) => async (req) => {
    const procedure = req.method.name;
    try {
      return mapStreamMessages(await next(req), async function* (messages) {
        try {
          yield* messages;
        } catch (error) {
          throw convert(error, procedure);
        }
      });
    } catch (error) {
      throw convert(error, procedure);
    }
  };
}

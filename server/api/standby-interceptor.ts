import type { Interceptor } from "@connectrpc/connect";
import { OttoscalerError } from "../domain/errors.ts";
import { connectErrorOf } from "./connect-errors.ts";

/**
 * A replica that does not hold the controller lease answers nothing but
 * Unavailable (retryable): it must not start, read or record work, nor audit
 * (its data directory belongs to the active controller). First in the chain.
 */
export function createStandbyInterceptor(isActive: () => boolean): Interceptor {
  return (next) => async (req) => {
    if (!isActive()) {
      throw connectErrorOf(
        new OttoscalerError(
          "unavailable",
          "this controller is a standby: another replica holds the lease; retry (the Service routes to the active one)",
        ),
      );
    }
    return next(req);
  };
}

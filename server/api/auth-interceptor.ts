import type { Interceptor } from "@connectrpc/connect";
import { accessRuleOf } from "../auth/access-rules.ts";
import type { Authenticator } from "../auth/authenticator.ts";
import { identityKey, peerKey } from "../auth/identity.ts";
import { isErrorKind, OttoscalerError } from "../domain/errors.ts";
import type { Logger } from "../observability/logger.ts";

/**
 * Every RPC, on every protocol, passes here first: the caller is
 * authenticated, then authorized by the method's access rule; denials are
 * logged (without the credentials). Handlers find the caller in `identityKey`.
 */
export function createAuthInterceptor(auth: Authenticator, logger: Logger): Interceptor {
  return (next) => async (req) => {
    const method = req.method.name;
    const rule = accessRuleOf(req.service.typeName, method);
    if (rule === "open") return next(req);
    const peer = req.contextValues.get(peerKey);
    let user: string | undefined;
    try {
      if (rule === undefined) {
        throw new OttoscalerError(
          "permission-denied",
          `${method}: no access rule; nobody may call it`,
        );
      }
      const identity = await auth.authenticate({
        authorization: req.header.get("authorization"),
        peer,
      });
      user = identity.user;
      // Known before it is authorized, so a refusal is recorded with its user.
      req.contextValues.set(identityKey, identity);
      await auth.authorize(identity, rule, method);
    } catch (error) {
      if (isErrorKind(error, "unauthenticated") || isErrorKind(error, "permission-denied")) {
        logger.warn("accessDenied", {
          method,
          user,
          peer: peer.address,
          kind: (error as OttoscalerError).kind,
          reason: (error as Error).message,
        });
      }
      throw error;
    }
    return next(req);
  };
}

import type { AccessReviews } from "../domain/access-reviews.ts";
import { OttoscalerError } from "../domain/errors.ts";
import { cached, TtlCache } from "../util/ttl-cache.ts";
import type { AccessRule } from "./access-rules.ts";
import type { Authenticator } from "./authenticator.ts";
import { requireBearerToken } from "./bearer.ts";
import type { Identity } from "./identity.ts";
import { tokenDigest } from "./token-file.ts";

/** The API group of the resources the access rules name. */
export const apiGroup = "ottoscaler.io";

/**
 * `kubernetes` mode: the bearer token is reviewed by the API server
 * (TokenReview: service account tokens, and any user token it accepts), and
 * each call is a LocalSubjectAccessReview in the controller's namespace on our
 * resources, so access is granted with ordinary Roles and RoleBindings.
 * Answers are cached for `cacheMs` (bounded), so revoking a RoleBinding takes
 * effect within that time; the cache keys tokens by their hash.
 */
export function kubernetesAuthenticator(
  reviews: AccessReviews,
  options: { namespace: string; cacheMs: number; maxEntries?: number },
): Authenticator {
  const bounds = { ttlMs: options.cacheMs, maxEntries: options.maxEntries ?? 1000 };
  const tokens = new TtlCache<Promise<{ identity: Identity } | { refused: string }>>(bounds);
  const decisions = new TtlCache<Promise<{ allowed: boolean; reason?: string }>>(bounds);
  const { namespace } = options;
  const decide = (
    identity: Identity,
    verb: string,
    resource: string,
    group: string,
    name?: string,
  ) =>
    cached(
      decisions,
      JSON.stringify([identity.user, identity.groups, verb, group, resource, name ?? ""]),
      () =>
        reviews.reviewAccess({
          namespace,
          user: identity.user,
          groups: identity.groups,
          verb,
          group,
          resource,
          ...(name !== undefined && { name }),
        }),
    );
  return {
    mode: "kubernetes",
    async authenticate({ authorization }) {
      const token = requireBearerToken(
        authorization,
        "a token the Kubernetes API server accepts (e.g. a ServiceAccount's)",
      );
      // Refusals are cached like acceptances; a review that could not be made is not.
      const outcome = await cached(tokens, tokenDigest(token), async () => {
        const review = await reviews.reviewToken(token);
        if (!review.authenticated || review.user === undefined) {
          return {
            refused: `token not accepted by the Kubernetes API server${review.error ? `: ${review.error}` : ""}`,
          };
        }
        const identity: Identity = {
          user: review.user.username,
          groups: review.user.groups,
          via: "kubernetes",
        };
        return { identity };
      });
      if ("refused" in outcome) throw new OttoscalerError("unauthenticated", outcome.refused);
      return outcome.identity;
    },
    async authorize(identity, rule: AccessRule, method) {
      const decision = await decide(identity, rule.verb, rule.resource, apiGroup);
      if (decision.allowed) return;
      throw new OttoscalerError(
        "permission-denied",
        `"${identity.user}" may not call ${method}: it takes ${rule.verb} on ${rule.resource}.${apiGroup} in namespace ${namespace} (grant it with a Role and RoleBinding)${decision.reason ? `; ${decision.reason}` : ""}`,
      );
    },
    async maySeeSecret(identity, name) {
      // Secrets are in the core group (""); the check names the one Secret.
      return (await decide(identity, "get", "secrets", "", name)).allowed;
    },
    close() {},
  };
}

import type { KubeConfig } from "@kubernetes/client-node";
import type { AccessReviews } from "../domain/access-reviews.ts";
import { OttoscalerError } from "../domain/errors.ts";
import { clientNode } from "./client-node.ts";
import { classifyKubernetesError } from "./errors.ts";

/**
 * The API server decides who a token is (TokenReview) and what they may do
 * (LocalSubjectAccessReview, so checks stay in the controller's namespace).
 * When it cannot answer, the error is "unavailable".
 */
export function createAccessReviews(kc: KubeConfig): AccessReviews {
  const { AuthenticationV1Api, AuthorizationV1Api } = clientNode();
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  return {
    async reviewToken(token) {
      try {
        const review = await authn.createTokenReview({ body: { spec: { token } } });
        const status = review.status;
        return {
          authenticated: status?.authenticated === true,
          ...(status?.user?.username !== undefined && {
            user: { username: status.user.username, groups: status.user.groups ?? [] },
          }),
          ...(status?.error !== undefined && { error: status.error }),
        };
      } catch (error) {
        throw undecided(error, "reviewing a caller's token (TokenReview)");
      }
    },
    async reviewAccess(request) {
      const { namespace, user, groups, verb, group, resource, name } = request;
      try {
        const review = await authz.createNamespacedLocalSubjectAccessReview({
          namespace,
          body: {
            metadata: { namespace },
            spec: {
              user,
              groups: [...groups],
              resourceAttributes: {
                namespace,
                verb,
                group,
                resource,
                ...(name !== undefined && { name }),
              },
            },
          },
        });
        const reason = review.status?.reason || review.status?.evaluationError;
        return { allowed: review.status?.allowed === true, ...(reason && { reason }) };
      } catch (error) {
        throw undecided(error, "checking a caller's access (LocalSubjectAccessReview)");
      }
    },
  };
}

/**
 * A review that got no answer leaves the caller's request undecided, whatever the reason (the
 * API server away, or the controller's RBAC lacking the review): Unavailable, saying which.
 */
function undecided(error: unknown, doing: string): OttoscalerError {
  const classified = classifyKubernetesError(error, doing);
  return new OttoscalerError("unavailable", classified.message, { cause: error });
}

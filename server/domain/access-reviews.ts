/**
 * What the API server says of callers, as kubernetes mode asks it: the
 * interface between server/auth (which decides) and server/k8s (which asks).
 */
export interface AccessReviews {
  /** TokenReview: who a bearer token is. */
  reviewToken(token: string): Promise<TokenReviewResult>;
  /** LocalSubjectAccessReview: may that caller do this, in this namespace. */
  reviewAccess(request: AccessReviewRequest): Promise<AccessReviewResult>;
}

export interface TokenReviewResult {
  authenticated: boolean;
  user?: { username: string; groups: string[] };
  error?: string;
}

export interface AccessReviewRequest {
  namespace: string;
  user: string;
  groups: readonly string[];
  verb: string;
  group: string;
  resource: string;
  name?: string;
}

export interface AccessReviewResult {
  allowed: boolean;
  reason?: string;
}

import { OttoscalerError } from "../domain/errors.ts";

// RFC 6750's b64token: what a bearer token may be made of.
const bearer = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The token of an `Authorization: Bearer <token>` header. No header is
 * undefined; anything else that is not one is Unauthenticated, saying what
 * was expected without echoing the value (it may be a secret sent by mistake).
 */
export function bearerToken(header: string | null): string | undefined {
  if (header === null || header === "") return undefined;
  const token = bearer.exec(header)?.[1];
  if (token === undefined) {
    throw new OttoscalerError(
      "unauthenticated",
      'authorization: expected "Bearer <token>" (the header is malformed)',
    );
  }
  return token;
}

/** The bearer token, or Unauthenticated saying how to send one (`hint`: which token). */
export function requireBearerToken(header: string | null, hint: string): string {
  const token = bearerToken(header);
  if (token === undefined) {
    throw new OttoscalerError(
      "unauthenticated",
      `no credentials: send authorization: Bearer <token> (${hint})`,
    );
  }
  return token;
}

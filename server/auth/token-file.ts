import { createHash, randomBytes } from "node:crypto";
import { parse } from "yaml";
import { OttoscalerError } from "../domain/errors.ts";
import { isRole, type Role, roles } from "./roles.ts";

/** One token the server accepts: its holder's name and role, never the token itself. */
export interface TokenEntry {
  name: string;
  role: Role;
  /** SHA-256 of the token. */
  sha256: Buffer;
  /** When it stops working, if it does. */
  expires?: Date;
}

/**
 * Reads a tokens file (YAML or JSON):
 *
 *     tokens:
 *       - { name: alice, role: operator, sha256: <64 hex digits>, expires: 2027-01-01T00:00:00Z }
 *
 * A plain SHA-256 suffices because tokens are random (hack/new-token.ts makes
 * 256-bit ones): slow hashes protect guessable passwords, which these are not,
 * and a fast one keeps every call cheap. Errors name the entry and the field.
 */
export function parseTokenFile(text: string): TokenEntry[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new OttoscalerError("invalid", `not YAML or JSON: ${(error as Error).message}`);
  }
  const list = (doc as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(list)) throw new OttoscalerError("invalid", "tokens: expected a list");
  const names = new Set<string>();
  return list.map((item: unknown, i) => {
    const at = `tokens[${i}]`;
    const bad = (field: string, why: string) =>
      new OttoscalerError("invalid", `${at}.${field}: ${why}`);
    const { name, role, sha256, expires } = (item ?? {}) as Record<string, unknown>;
    if (typeof name !== "string" || !/^[\w.@:-]{1,128}$/.test(name)) {
      throw bad("name", "expected 1 to 128 letters, digits or _.@:-");
    }
    if (names.has(name)) throw bad("name", `"${name}" is listed twice`);
    names.add(name);
    if (typeof role !== "string" || !isRole(role)) {
      throw bad("role", `expected one of ${roles.join(", ")}`);
    }
    if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/i.test(sha256)) {
      throw bad("sha256", "expected the token's SHA-256 as 64 hex digits");
    }
    const entry: TokenEntry = { name, role, sha256: Buffer.from(sha256, "hex") };
    if (expires !== undefined && expires !== null) {
      const date = expires instanceof Date ? expires : new Date(String(expires));
      if (Number.isNaN(date.getTime()))
        throw bad("expires", "expected a date such as 2027-01-31T00:00:00Z");
      entry.expires = date;
    }
    return entry;
  });
}

/** What the tokens file keeps of a token: its SHA-256, in hex. */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new random token: 256 bits, URL-safe, prefixed so it is recognisable in a leak scan. */
export function newToken(): string {
  return `otto_${randomBytes(32).toString("base64url")}`;
}

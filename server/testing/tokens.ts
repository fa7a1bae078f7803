import { writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import type { Role } from "../auth/roles.ts";
import { newToken, tokenDigest } from "../auth/token-file.ts";
import { tempDataDir } from "./data-dir.ts";

export interface TestToken {
  name: string;
  role: Role;
  expires?: string;
}

/** The file's entries as OTTOSCALER_TOKENS_FILE reads them. */
export function tokensFileText(tokens: readonly (TestToken & { token: string })[]): string {
  return stringify({
    tokens: tokens.map(({ name, role, expires, token }) => ({
      name,
      role,
      sha256: tokenDigest(token),
      ...(expires !== undefined && { expires }),
    })),
  });
}

/** A tokens file in a directory of its own, and each name's token. */
export function writeTokensFile(tokens: readonly TestToken[]): {
  file: string;
  token: Record<string, string>;
} {
  const file = path.join(tempDataDir(), "tokens.yaml");
  const withTokens = tokens.map((t) => ({ ...t, token: newToken() }));
  writeFileSync(file, tokensFileText(withTokens));
  return { file, token: Object.fromEntries(withTokens.map((t) => [t.name, t.token])) };
}

/** viewer, operator and admin tokens, one each, named after their role. */
export function roleTokens() {
  return writeTokensFile([
    { name: "viewer", role: "viewer" },
    { name: "operator", role: "operator" },
    { name: "admin", role: "admin" },
  ]);
}

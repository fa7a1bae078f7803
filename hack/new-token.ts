// Makes a token for OTTOSCALER_AUTH=tokens: prints the token (give it to its holder, once) on
// stderr and its entry for the tokens file on stdout, so `>> tokens.yaml` keeps only the hash.
// Usage: node hack/new-token.ts NAME viewer|operator|admin [EXPIRES, e.g. 2027-01-31T00:00:00Z]
import { stringify } from "yaml";
import { isRole } from "../server/auth/roles.ts";
import { newToken, parseTokenFile, tokenDigest } from "../server/auth/token-file.ts";

const [name, role, expires] = process.argv.slice(2);
if (name === undefined || role === undefined || !isRole(role)) {
  process.stderr.write("usage: node hack/new-token.ts NAME viewer|operator|admin [EXPIRES]\n");
  process.exit(2);
}
const token = newToken();
const entry = { name, role, sha256: tokenDigest(token), ...(expires && { expires }) };
try {
  parseTokenFile(stringify({ tokens: [entry] }));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}
process.stderr.write(`token for ${name} (${role}): ${token}\n`);
process.stdout.write(`${stringify([entry]).trimEnd().replace(/^/gm, "  ")}\n`);

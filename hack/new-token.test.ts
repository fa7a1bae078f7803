import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { it } from "node:test";
import { promisify } from "node:util";
import { parse } from "yaml";
import { parseTokenFile, tokenDigest } from "../server/auth/token-file.ts";

const run = promisify(execFile);
const script = path.join(import.meta.dirname, "new-token.ts");

it("prints a token on stderr and only its entry, hashed, on stdout", async () => {
  const { stdout, stderr } = await run(process.execPath, [
    script,
    "ci",
    "operator",
    "2030-01-01T00:00:00Z",
  ]);
  const token = /^token for ci \(operator\): (otto_\S+)$/m.exec(stderr)?.[1] ?? "";
  assert.ok(token !== "", stderr);
  assert.ok(!stdout.includes(token));
  const [entry] = parseTokenFile(`tokens:\n${stdout}`);
  assert.equal(entry?.name, "ci");
  assert.equal(entry?.sha256.toString("hex"), tokenDigest(token));
  assert.ok(Array.isArray(parse(`tokens:\n${stdout}`).tokens));
  await assert.rejects(run(process.execPath, [script, "ci", "boss"]), /usage/);
});

// Fails when gen/ is not exactly what `buf generate` makes from proto/ today.
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

async function files(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out.set(path.relative(dir, full), await readFile(full, "utf8"));
  }
  return out;
}

const tmp = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-gen-"));
try {
  execFileSync("buf", ["generate", "-o", tmp], { cwd: root, stdio: "inherit" });
  const fresh = await files(path.join(tmp, "gen"));
  const committed = await files(path.join(root, "gen"));
  const stale = [...new Set([...fresh.keys(), ...committed.keys()])].filter(
    (f) => fresh.get(f) !== committed.get(f),
  );
  if (stale.length > 0) {
    console.error(
      `gen/ is stale; run \`npm run generate\` and commit. Differs: ${stale.join(", ")}`,
    );
    process.exit(1);
  }
  console.log(`gen/ is up to date (${fresh.size} files)`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}

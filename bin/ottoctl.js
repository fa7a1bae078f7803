#!/usr/bin/env node
// ottoctl: the Ottoscaler command-line client. The code is TypeScript run by Node's type
// stripping, so it needs Node 22.18+ (or 23.6+); the project pins Node 24 as a devDependency.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
const strips = major >= 24 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
if (!strips) {
  process.stderr.write(
    `ottoctl needs Node.js 22.18 or newer to run its TypeScript, but this is Node ${process.versions.node}.\n` +
      "Run it with the project's Node instead: `npm ci` once, then `npx ottoctl ...`.\n",
  );
  process.exit(2);
}
await import("../server/cli/main.ts");

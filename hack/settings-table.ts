// Prints the README's generated tables, the settings (server/config/settings.ts) and who may call
// what (server/auth/access-rules.ts); with --write, puts them into README.md (`npm run docs:settings`).
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { accessTable, accessTableHeading } from "../server/auth/access-table.ts";
import { settingsTable, tableSpan } from "../server/config/readme-table.ts";

const tables = [
  { heading: "## Configuration", table: settingsTable() },
  { heading: accessTableHeading, table: accessTable() },
];
if (process.argv.includes("--write")) {
  const file = path.resolve(import.meta.dirname, "..", "README.md");
  let readme = await readFile(file, "utf8");
  for (const { heading, table } of tables) {
    const { start, end } = tableSpan(readme, heading);
    readme = readme.slice(0, start) + table + readme.slice(end);
  }
  await writeFile(file, readme);
} else {
  for (const { table } of tables) process.stdout.write(`${table}\n`);
}

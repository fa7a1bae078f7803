// Prints the README's configuration table as server/config/settings.ts declares it; with
// --write, puts it into README.md (`npm run docs:settings`).
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { settingsTable, tableSpan } from "../server/config/readme-table.ts";

const table = settingsTable();
if (process.argv.includes("--write")) {
  const file = path.resolve(import.meta.dirname, "..", "README.md");
  const readme = await readFile(file, "utf8");
  const { start, end } = tableSpan(readme);
  await writeFile(file, readme.slice(0, start) + table + readme.slice(end));
} else {
  process.stdout.write(table);
}

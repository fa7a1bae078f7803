import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { it } from "node:test";
import { tableSpan } from "../config/readme-table.ts";
import { accessTable, accessTableHeading } from "./access-table.ts";

it("the README's table of who may call what is the access rules (else `npm run docs:settings`)", async () => {
  const readme = await readFile(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
  const { start, end } = tableSpan(readme, accessTableHeading);
  assert.equal(readme.slice(start, end), accessTable());
  assert.match(
    accessTable(),
    /\| `OttoscalerService\/ExecutePipeline` +\| Unauthenticated +\| PermissionDenied +\| OK +\| OK +\| create `pipelineruns.ottoscaler.io` +\|$/m,
  );
});

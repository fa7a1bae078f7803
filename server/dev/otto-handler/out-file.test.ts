import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { it } from "node:test";
import { openOutFile } from "./out-file.ts";

async function tempFile(): Promise<string> {
  return path.join(await mkdtemp(path.join(os.tmpdir(), "otto-out-file-")), "out.jsonl");
}

it("creates a missing file and appends to it", async () => {
  const file = await tempFile();
  const { file: out, recovery } = await openOutFile(file, () => assert.fail("no records"));
  assert.deepEqual(recovery, { lines: 0, unreadable: 0, truncatedBytes: 0 });
  await out.append('{"a":1}\n{"a":2}\n');
  await out.close();
  assert.equal(await readFile(file, "utf8"), '{"a":1}\n{"a":2}\n');
});

it("reads every complete line back, skipping lines that are not JSON objects", async () => {
  const file = await tempFile();
  await writeFile(file, '{"a":1}\nnot json\n\n42\n{"a":2}\n');
  const records: unknown[] = [];
  const { file: out, recovery } = await openOutFile(file, (r) => records.push(r));
  await out.close();
  assert.deepEqual(records, [{ a: 1 }, { a: 2 }]);
  assert.deepEqual(recovery, { lines: 4, unreadable: 2, truncatedBytes: 0 });
});

it("cuts off an unfinished last line, even one longer than the read-back chunk", async () => {
  const file = await tempFile();
  const unfinished = `{"a":"${"x".repeat(200_000)}`;
  await writeFile(file, `{"a":1}\n${unfinished}`);
  const records: unknown[] = [];
  const { file: out, recovery } = await openOutFile(file, (r) => records.push(r));
  assert.equal(recovery.truncatedBytes, unfinished.length);
  await out.append('{"a":2}\n');
  await out.close();
  assert.deepEqual(records, [{ a: 1 }]);
  assert.equal(await readFile(file, "utf8"), '{"a":1}\n{"a":2}\n');
});

it("cuts a file with no complete line down to nothing", async () => {
  const file = await tempFile();
  await writeFile(file, '{"a":');
  const { file: out, recovery } = await openOutFile(file, () => assert.fail("no records"));
  await out.close();
  assert.deepEqual(recovery, { lines: 0, unreadable: 0, truncatedBytes: 5 });
  assert.equal(await readFile(file, "utf8"), "");
});

import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { appendFile, mkdtemp, readFile, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { type ScanDamage, scanJournal } from "./journal-scan.ts";
import { JournalWriter } from "./journal-writer.ts";
import { frameHeaderBytes } from "./record-frame.ts";

async function journalWith(records: string[]): Promise<string> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), "journal-")), "journal");
  await writeFile(file, "");
  const writer = new JournalWriter(file, 0);
  for (const record of records) writer.append(Buffer.from(record));
  writer.close();
  return file;
}

async function scan(file: string, options: { from?: number; chunkBytes?: number } = {}) {
  const records: string[] = [];
  let damage: ScanDamage | undefined;
  for await (const r of scanJournal(file, { ...options, onDamage: (d) => (damage = d) })) {
    records.push(r.payload.toString());
  }
  return { records, damage: damage as ScanDamage | undefined };
}

describe("journal files", () => {
  it("reads back every record in order, across chunk boundaries, with records larger than a chunk", async () => {
    const records = Array.from({ length: 500 }, (_, i) => `record ${i} ${"x".repeat(i * 7)}`);
    const file = await journalWith(records);
    const { records: read, damage } = await scan(file, { chunkBytes: 64 });
    assert.deepEqual(read, records);
    assert.equal(damage, undefined);
  });

  it("writes the records of one turn of the event loop in one write, at its end", async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), "journal-")), "journal");
    await writeFile(file, "");
    const flushes: number[] = [];
    const writer = new JournalWriter(file, 0, { onFlushed: (bytes) => flushes.push(bytes) });
    writer.append(Buffer.from("a"));
    writer.append(Buffer.from("bb"));
    assert.equal(statSync(file).size, 0, "nothing written yet in this turn");
    await Promise.resolve();
    assert.deepEqual(flushes, [2 * frameHeaderBytes + 3]);
    writer.close();
  });

  it("stops at a truncated last record and reports where, keeping everything before it", async () => {
    const file = await journalWith(["one", "two", "three"]);
    const full = (await readFile(file)).length;
    await truncate(file, full - 2);
    const { records, damage } = await scan(file);
    assert.deepEqual(records, ["one", "two"]);
    assert.equal(damage?.offset, 2 * frameHeaderBytes + 6);
    assert.match(damage?.reason ?? "", /truncated/);
  });

  it("stops at a record whose checksum does not match", async () => {
    const file = await journalWith(["one", "two"]);
    const bytes = await readFile(file);
    bytes.writeUInt8((bytes.at(-1) ?? 0) ^ 0xff, bytes.length - 1); // flip the last payload byte
    await writeFile(file, bytes);
    const { records, damage } = await scan(file);
    assert.deepEqual(records, ["one"]);
    assert.match(damage?.reason ?? "", /checksum/);
  });

  it("stops at a length no record can have", async () => {
    const file = await journalWith(["one"]);
    await appendFile(file, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
    const { records, damage } = await scan(file);
    assert.deepEqual(records, ["one"]);
    assert.match(damage?.reason ?? "", /length/);
  });

  it("appends after the known-good length, so a repaired journal stays readable", async () => {
    const file = await journalWith(["one", "two"]);
    const good = (await readFile(file)).length;
    await appendFile(file, Buffer.from([9, 9, 9]));
    await truncate(file, good);
    const writer = new JournalWriter(file, good);
    writer.append(Buffer.from("three"));
    writer.close();
    assert.deepEqual((await scan(file)).records, ["one", "two", "three"]);
  });
});

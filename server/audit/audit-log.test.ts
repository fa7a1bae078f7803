import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { it } from "node:test";
import { silentLogger } from "../observability/logger.ts";
import { tempDataDir } from "../testing/data-dir.ts";
import { AuditLog } from "./audit-log.ts";
import type { AuditRecord } from "./audit-record.ts";

const record = (time: string, user: string): AuditRecord => ({
  time,
  user,
  groups: [],
  source: "127.0.0.1:1",
  protocol: "grpc",
  method: "ottoscaler.v1.OttoscalerService/ScaleUp",
  taskId: "t",
  code: "ok",
  durationMs: 1.5,
  auth: "tokens",
});

it("keeps records a file a UTC day, reads them back filtered, and removes days past retention", async () => {
  const dir = path.join(tempDataDir(), "audit");
  const audit = new AuditLog(dir, { retentionDays: 30, logger: silentLogger });
  await audit.open();
  audit.record(record("2026-01-01T23:59:59.000Z", "alice"));
  audit.record(record("2026-01-02T00:00:01.000Z", "bob"));
  audit.record(record("2026-01-02T10:00:00.000Z", "alice"));
  await audit.flush();
  assert.deepEqual((await readdir(dir)).sort(), ["2026-01-01.jsonl", "2026-01-02.jsonl"]);
  const day2 = (await readFile(path.join(dir, "2026-01-02.jsonl"), "utf8")).trimEnd().split("\n");
  assert.equal(day2.length, 2);
  assert.equal(JSON.parse(day2[0] ?? "").user, "bob");

  assert.equal((await audit.list({ limit: 10 })).length, 3);
  assert.deepEqual(
    (await audit.list({ limit: 10, user: "alice" })).map((r) => r.time),
    ["2026-01-01T23:59:59.000Z", "2026-01-02T10:00:00.000Z"],
  );
  assert.deepEqual(
    (await audit.list({ limit: 1 })).map((r) => r.user),
    ["alice"],
  );
  const since = Date.parse("2026-01-02T00:00:00.000Z");
  assert.deepEqual(
    (await audit.list({ limit: 10, sinceMs: since })).map((r) => r.user),
    ["bob", "alice"],
  );

  await writeFile(path.join(dir, "notes.txt"), "not ours");
  await audit.applyRetention(Date.parse("2026-02-01T12:00:00.000Z"));
  assert.deepEqual((await readdir(dir)).sort(), ["2026-01-02.jsonl", "notes.txt"]);
  await audit.close();
});

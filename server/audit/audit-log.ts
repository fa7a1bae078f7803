import type { FileHandle } from "node:fs/promises";
import { mkdir, open, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../observability/logger.ts";
import type { AuditRecord, AuditTrail } from "./audit-record.ts";

const dayFile = /^(\d{4}-\d{2}-\d{2})\.jsonl$/;
const dayMs = 86_400_000;

/**
 * The durable audit trail: each record is a JSON line on stdout (through the
 * logger) and in `<dir>/<UTC day>.jsonl`. Records of one event-loop turn go
 * out in one write followed by fdatasync, so a flood of refused calls costs
 * one write a turn, not one each. Whole days are removed after `retentionDays`.
 */
export class AuditLog implements AuditTrail {
  readonly #dir: string;
  readonly #retentionDays: number;
  readonly #logger: Logger;
  #queue: AuditRecord[] = [];
  #flushing: Promise<void> = Promise.resolve();
  #file: { day: string; handle: FileHandle } | undefined;

  constructor(dir: string, options: { retentionDays: number; logger: Logger }) {
    this.#dir = dir;
    this.#retentionDays = options.retentionDays;
    this.#logger = options.logger;
  }

  async open(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await this.applyRetention();
  }

  record(record: AuditRecord): void {
    this.#logger.info("audit", { ...record });
    this.#queue.push(record);
    if (this.#queue.length === 1) {
      setImmediate(() => {
        this.#flushing = this.#flushing.then(() => this.#write());
      });
    }
  }

  /** Resolves once every record so far is on disk. */
  async flush(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.#flushing;
  }

  async list(query: { sinceMs?: number; user?: string; limit: number }): Promise<AuditRecord[]> {
    await this.flush();
    const since = query.sinceMs ?? 0;
    const sinceDay = new Date(since).toISOString().slice(0, 10);
    const days = (await this.#days()).filter((day) => day >= sinceDay).sort();
    const found: AuditRecord[] = [];
    for (const day of days) {
      const text = await readFile(path.join(this.#dir, `${day}.jsonl`), "utf8");
      for (const line of text.split("\n")) {
        if (line === "") continue;
        const record = JSON.parse(line) as AuditRecord;
        if (Date.parse(record.time) < since) continue;
        if (query.user !== undefined && query.user !== "" && record.user !== query.user) continue;
        found.push(record);
      }
    }
    return found.slice(-query.limit);
  }

  /** Removes the days older than the retention. */
  async applyRetention(nowMs = Date.now()): Promise<void> {
    const oldest = new Date(nowMs - this.#retentionDays * dayMs).toISOString().slice(0, 10);
    for (const day of await this.#days()) {
      if (day < oldest) await rm(path.join(this.#dir, `${day}.jsonl`), { force: true });
    }
  }

  async close(): Promise<void> {
    await this.flush();
    await this.#file?.handle.close();
    this.#file = undefined;
  }

  async #days(): Promise<string[]> {
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    return names.flatMap((name) => dayFile.exec(name)?.[1] ?? []);
  }

  async #write(): Promise<void> {
    const records = this.#queue;
    this.#queue = [];
    // A batch may straddle midnight: each record goes to its own day's file.
    const byDay = new Map<string, string[]>();
    for (const r of records) {
      const day = r.time.slice(0, 10);
      const lines = byDay.get(day) ?? [];
      lines.push(`${JSON.stringify(r)}\n`);
      byDay.set(day, lines);
    }
    try {
      for (const [day, lines] of byDay) {
        const handle = await this.#handle(day);
        await handle.write(lines.join(""));
        await handle.datasync();
      }
    } catch (error) {
      this.#logger.error("auditWriteFailed", {
        error: (error as Error).message,
        lost: records.length,
      });
    }
  }

  async #handle(day: string): Promise<FileHandle> {
    if (this.#file?.day === day) return this.#file.handle;
    await this.#file?.handle.close();
    const handle = await open(path.join(this.#dir, `${day}.jsonl`), "a", 0o600);
    this.#file = { day, handle };
    return handle;
  }
}

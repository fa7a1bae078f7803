import { createHash } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

/** How far a destination has acknowledged one journal. */
export interface DeliveryCursor {
  /** Journal offset after the last acknowledged record (a record boundary). */
  offset: number;
  /** Entries (log lines and status events) acknowledged. */
  entries: number;
}

/** The cursor file of a destination inside a build's directory: retention removes it with the build. */
export function cursorPath(buildDir: string, url: string): string {
  const key = createHash("sha256").update(url).digest("hex").slice(0, 16);
  return path.join(buildDir, `forwarded-${key}.json`);
}

export async function readCursor(file: string): Promise<DeliveryCursor> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<DeliveryCursor>;
    if (Number.isSafeInteger(parsed.offset) && Number.isSafeInteger(parsed.entries)) {
      return { offset: parsed.offset as number, entries: parsed.entries as number };
    }
  } catch {}
  // No cursor (or an unreadable one): from the start. Duplicates are the receiver's to drop.
  return { offset: 0, entries: 0 };
}

/** Replaces the cursor file atomically: a crash leaves the old cursor or the new one. */
export async function writeCursor(file: string, url: string, cursor: DeliveryCursor) {
  await writeFile(`${file}.tmp`, JSON.stringify({ url, ...cursor }));
  await rename(`${file}.tmp`, file);
}

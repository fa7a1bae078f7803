import { createReadStream } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import readline from "node:readline";

/** What start-up found in an existing file. */
export interface Recovery {
  /** Complete lines read back. */
  lines: number;
  /** Complete lines that were not JSON objects, skipped. */
  unreadable: number;
  /** Bytes of an unfinished last line (a write cut short), removed from the file. */
  truncatedBytes: number;
}

/** The JSON-lines file: every stored entry, one line each, appended in the order stored. */
export interface OutFile {
  /** Appends whole lines in one write; on failure the file is cut back to where it was. */
  append(text: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens (or creates) `path` for appending after handing every complete line already in it to
 * `onRecord`. An unfinished last line was never acknowledged, so it is cut off: appending after
 * it would glue the next line to it.
 */
export async function openOutFile(
  path: string,
  onRecord: (record: Record<string, unknown>) => void,
): Promise<{ file: OutFile; recovery: Recovery }> {
  const handle = await open(path, "a+");
  try {
    const truncatedBytes = await cutUnfinishedLine(handle);
    const { lines, unreadable } = await readLines(path, onRecord);
    return { file: appender(handle), recovery: { lines, unreadable, truncatedBytes } };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function cutUnfinishedLine(handle: FileHandle): Promise<number> {
  const { size } = await handle.stat();
  const chunk = Buffer.alloc(64 * 1024);
  let end = size;
  // Scan back from the end for the last newline; everything after it is the unfinished line.
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const newline = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (newline !== -1) {
      end = start + newline + 1;
      break;
    }
    end = start;
  }
  if (end < size) await handle.truncate(end);
  return size - end;
}

async function readLines(
  path: string,
  onRecord: (record: Record<string, unknown>) => void,
): Promise<{ lines: number; unreadable: number }> {
  let lines = 0;
  let unreadable = 0;
  const input = readline.createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of input) {
    if (line === "") continue;
    lines++;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      unreadable++;
      continue;
    }
    if (typeof record === "object" && record !== null) onRecord(record as Record<string, unknown>);
    else unreadable++;
  }
  return { lines, unreadable };
}

function appender(handle: FileHandle): OutFile {
  let size: number | undefined;
  return {
    async append(text) {
      size ??= (await handle.stat()).size;
      const data = Buffer.from(text);
      try {
        await handle.appendFile(data);
      } catch (error) {
        // Part of the batch may be in: take it out, or the next batch would follow half a line.
        await handle.truncate(size).catch(() => {});
        throw error;
      }
      size += data.length;
    },
    close: () => handle.close(),
  };
}

import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { readFrame } from "./record-frame.ts";

export interface ScannedRecord {
  /** Where the record's frame starts and ends in the file. */
  offset: number;
  end: number;
  /**
   * The record's bytes. Valid only until the scan moves on: decode it (or
   * copy it) before asking for the next record.
   */
  payload: Buffer;
}

export interface ScanOptions {
  from?: number;
  /** Stop here (exclusive): a journal being written may have more than has been flushed. */
  until?: number;
  signal?: AbortSignal;
  /** Read size; records larger than this are read whole anyway. */
  chunkBytes?: number;
}

/** Why a scan stopped before the end of the file. */
export interface ScanDamage {
  offset: number;
  reason: string;
}

/**
 * Reads a journal's records in order from `from`, a chunk at a time: a journal
 * of any size costs one chunk of memory. Stops at the first frame that is
 * truncated or corrupt and reports it through `onDamage`; everything before it
 * has been yielded.
 */
export async function* scanJournal(
  path: string,
  options: ScanOptions & { onDamage?: (damage: ScanDamage) => void } = {},
): AsyncGenerator<ScannedRecord, void, undefined> {
  let file: FileHandle;
  try {
    file = await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    const size = (await file.stat()).size;
    const until = Math.min(options.until ?? size, size);
    const chunk = options.chunkBytes ?? 256 * 1024;
    let buffer = Buffer.alloc(0);
    let bufferStart = options.from ?? 0;
    let position = bufferStart;
    let offset = 0; // within buffer
    while (bufferStart + offset < until) {
      if (options.signal?.aborted) return;
      const frame = readFrame(buffer, offset);
      if (frame.kind === "record") {
        const start = bufferStart + offset;
        offset += frame.bytes;
        yield { offset: start, end: start + frame.bytes, payload: frame.payload };
        continue;
      }
      if (frame.kind === "corrupt") {
        options.onDamage?.({ offset: bufferStart + offset, reason: frame.reason });
        return;
      }
      // Incomplete: keep the unread part and read more after it.
      if (position >= until) {
        options.onDamage?.({
          offset: bufferStart + offset,
          reason: `truncated record (${until - bufferStart - offset} of at least ${frame.needed} bytes)`,
        });
        return;
      }
      const rest = buffer.subarray(offset);
      const want = Math.min(Math.max(chunk, frame.needed - rest.length), until - position);
      const next = Buffer.allocUnsafe(rest.length + want);
      rest.copy(next, 0);
      const { bytesRead } = await file.read(next, rest.length, want, position);
      position += bytesRead;
      buffer = next.subarray(0, rest.length + bytesRead);
      bufferStart += offset;
      offset = 0;
      if (bytesRead === 0) position = until; // the file shrank under us
    }
  } finally {
    await file.close();
  }
}

import { closeSync, fsyncSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { frameRecord } from "./record-frame.ts";

export interface JournalWriterEvents {
  /** New records are on disk (in the OS's hands) up to `bytes`. */
  onFlushed?: (bytes: number, writeSeconds: number) => void;
  /** A write failed (disk full, I/O error): the records it held are lost. */
  onError?: (error: Error, lostRecords: number) => void;
}

/**
 * Appends framed records to a journal file. Records appended in one turn of
 * the event loop go out in a single write at the end of it, so a process crash
 * loses at most the records of the turn it died in, never a record already
 * written, and a half-written frame is recognised by its checksum on restart.
 */
export class JournalWriter {
  readonly path: string;
  readonly #events: JournalWriterEvents;
  #fd: number | undefined;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #flushed: number;
  #scheduled = false;
  #lost = 0;

  /** Opens `path` for appending; `size` is its current, known-good length. */
  constructor(path: string, size: number, events: JournalWriterEvents = {}) {
    this.path = path;
    this.#events = events;
    this.#fd = openSync(path, "a");
    this.#flushed = size;
  }

  /** Bytes in the file, flushed. */
  get flushedBytes(): number {
    return this.#flushed;
  }

  /** Bytes in the file once what is pending is written. */
  get bytes(): number {
    return this.#flushed + this.#pendingBytes;
  }

  /** Records lost to write errors. */
  get lostRecords(): number {
    return this.#lost;
  }

  get closed(): boolean {
    return this.#fd === undefined;
  }

  /** Queues a record; returns the offset its frame will have in the file. */
  append(payload: Uint8Array): number {
    const offset = this.bytes;
    if (this.#fd === undefined) throw new Error(`journal ${this.path} is closed`);
    const frame = frameRecord(payload);
    this.#pending.push(frame);
    this.#pendingBytes += frame.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
    return offset;
  }

  /** Writes whatever is pending now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0 || this.#fd === undefined) return;
    const frames = this.#pending;
    const data = frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames);
    this.#pending = [];
    this.#pendingBytes = 0;
    const started = performance.now();
    try {
      let written = 0;
      while (written < data.length) {
        written += writeSync(this.#fd, data, written, data.length - written);
      }
      this.#flushed += data.length;
    } catch (error) {
      // Cut off a partial frame so later records do not land after garbage.
      try {
        ftruncateSync(this.#fd, this.#flushed);
      } catch {}
      this.#lost += frames.length;
      this.#events.onError?.(error as Error, frames.length);
      return;
    }
    this.#events.onFlushed?.(this.#flushed, (performance.now() - started) / 1000);
  }

  /** Flushes and asks the OS to put the file on the disk (at a build's end). */
  sync(): void {
    this.flush();
    if (this.#fd !== undefined) fsyncSync(this.#fd);
  }

  close(): void {
    if (this.#fd === undefined) return;
    this.flush();
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

import { crc32 } from "node:zlib";

/**
 * How one record sits in a journal file: [u32 length][u32 crc32 of the
 * payload][payload], little-endian. The checksum is what tells a record that
 * was only partly written (a crash, a full disk) from a whole one.
 */
export const frameHeaderBytes = 8;

/** Larger lengths can only be garbage: a record is one log line or one event. */
export const maxRecordBytes = 64 * 1024 * 1024;

export function frameRecord(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(frameHeaderBytes + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  frame.set(payload, frameHeaderBytes);
  return frame;
}

export type FrameRead =
  | { kind: "record"; payload: Buffer; bytes: number }
  /** The buffer ends inside this frame: read more, or it is a truncated tail. */
  | { kind: "incomplete"; needed: number }
  | { kind: "corrupt"; reason: string };

/** The frame that starts at `offset` of `buffer` (which holds bytes up to its end). */
export function readFrame(buffer: Buffer, offset: number): FrameRead {
  const available = buffer.length - offset;
  if (available < frameHeaderBytes) return { kind: "incomplete", needed: frameHeaderBytes };
  const length = buffer.readUInt32LE(offset);
  if (length > maxRecordBytes) {
    return { kind: "corrupt", reason: `record length ${length} is over ${maxRecordBytes}` };
  }
  const bytes = frameHeaderBytes + length;
  if (available < bytes) return { kind: "incomplete", needed: bytes };
  const payload = buffer.subarray(offset + frameHeaderBytes, offset + bytes);
  if (crc32(payload) !== buffer.readUInt32LE(offset + 4)) {
    return { kind: "corrupt", reason: "checksum mismatch" };
  }
  return { kind: "record", payload, bytes };
}

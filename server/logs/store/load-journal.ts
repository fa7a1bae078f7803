import { createReadStream, createWriteStream } from "node:fs";
import { open, stat, truncate } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { type ScanDamage, scanJournal } from "../journal/journal-scan.ts";
import { readFrame } from "../journal/record-frame.ts";
import { emptyJournalState, observeRecord } from "./journal-state.ts";
import { readSealedState, type SealedState } from "./sealed-state.ts";

export interface JournalDamage extends ScanDamage {
  /** Bytes cut off the end of the journal. */
  bytesRemoved: number;
  /** Where the cut-off bytes were kept, for a post-mortem. */
  savedAs: string;
  /** Whole records before the damage, all kept. */
  recordsKept: number;
}

export interface LoadOptions {
  trackWorkers: boolean;
  onDamage: (damage: JournalDamage) => void;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
}

/** True when the journal ends exactly with a whole record at `lastRecordOffset`. */
async function endsWithRecordAt(path: string, lastRecordOffset: number, size: number) {
  if (lastRecordOffset < 0) return size === 0;
  const file = await open(path, "r");
  try {
    const buffer = Buffer.alloc(size - lastRecordOffset);
    await file.read(buffer, 0, buffer.length, lastRecordOffset);
    const frame = readFrame(buffer, 0);
    return frame.kind === "record" && frame.bytes === buffer.length;
  } finally {
    await file.close();
  }
}

/**
 * A journal's state after a restart. A sealed journal that is still what its
 * seal says is trusted without reading it; any other is read in full, and a
 * damaged tail (a truncated or corrupt record and everything after it) is
 * copied aside, cut off and reported, so what came before stays servable and
 * appends go after good records.
 */
export async function loadJournal(
  journalPath: string,
  sealedPath: string,
  options: LoadOptions,
): Promise<SealedState> {
  const size = await sizeOf(journalPath);
  const sealed = await readSealedState(sealedPath);
  if (
    sealed !== undefined &&
    sealed.state.bytes === size &&
    (await endsWithRecordAt(journalPath, sealed.state.lastRecordOffset, size))
  ) {
    return sealed;
  }
  const state = emptyJournalState();
  let damage: ScanDamage | undefined;
  const records = scanJournal(journalPath, { onDamage: (d) => (damage = d) });
  for await (const { offset, end, payload } of records) {
    observeRecord(state, offset, end - offset, payload, { trackWorkers: options.trackWorkers });
  }
  const found = damage as ScanDamage | undefined;
  if (found !== undefined) {
    const savedAs = `${journalPath}.damaged-at-${found.offset}`;
    await pipeline(
      createReadStream(journalPath, { start: found.offset }),
      createWriteStream(savedAs),
    );
    await truncate(journalPath, found.offset);
    options.onDamage({
      ...found,
      bytesRemoved: size - found.offset,
      savedAs,
      recordsKept: state.records,
    });
  }
  return { state, summary: undefined };
}

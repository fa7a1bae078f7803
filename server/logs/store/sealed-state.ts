import { readFile, rename, writeFile } from "node:fs/promises";
import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { JournalHeaderSchema } from "../../../gen/ottoscaler/store/v1/journal_pb.js";
import {
  PipelineProgressSchema,
  type PipelineSummary,
  PipelineSummarySchema,
} from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import type { JournalState } from "./journal-state.ts";

/**
 * Written next to a journal when its build ends: the journal's state, so a
 * restart need not read the whole journal again, and the build's summary.
 * Trusted only while the journal still has exactly `bytes` bytes and its last
 * record checks out.
 */
export interface SealedState {
  state: JournalState;
  summary: PipelineSummary | undefined;
}

interface SealedFile {
  version: 1;
  bytes: number;
  records: number;
  entries: number;
  logEntries: number;
  logIndex: number[];
  lastRecordOffset: number;
  maxWorkerIndex: number;
  header?: JsonValue;
  lastProgress?: JsonValue;
  summary?: JsonValue;
}

export async function writeSealedState(path: string, sealed: SealedState): Promise<void> {
  const { state, summary } = sealed;
  const file: SealedFile = {
    version: 1,
    bytes: state.bytes,
    records: state.records,
    entries: state.entries,
    logEntries: state.logEntries,
    logIndex: state.logIndex,
    lastRecordOffset: state.lastRecordOffset,
    maxWorkerIndex: state.maxWorkerIndex,
    ...(state.header !== undefined && { header: toJson(JournalHeaderSchema, state.header) }),
    ...(state.lastProgress !== undefined && {
      lastProgress: toJson(PipelineProgressSchema, state.lastProgress),
    }),
    ...(summary !== undefined && { summary: toJson(PipelineSummarySchema, summary) }),
  };
  // Write then rename: a crash leaves the old file or the new one, never half of one.
  await writeFile(`${path}.tmp`, JSON.stringify(file));
  await rename(`${path}.tmp`, path);
}

/** The sealed state, or undefined when there is none or it cannot be read. */
export async function readSealedState(path: string): Promise<SealedState | undefined> {
  let file: SealedFile;
  try {
    file = JSON.parse(await readFile(path, "utf8")) as SealedFile;
    if (file.version !== 1) return undefined;
    return {
      state: {
        bytes: file.bytes,
        records: file.records,
        entries: file.entries,
        logEntries: file.logEntries,
        logIndex: file.logIndex,
        lastRecordOffset: file.lastRecordOffset,
        maxWorkerIndex: file.maxWorkerIndex,
        header: file.header === undefined ? undefined : fromJson(JournalHeaderSchema, file.header),
        lastProgress:
          file.lastProgress === undefined
            ? undefined
            : fromJson(PipelineProgressSchema, file.lastProgress),
      },
      summary:
        file.summary === undefined ? undefined : fromJson(PipelineSummarySchema, file.summary),
    };
  } catch {
    return undefined;
  }
}

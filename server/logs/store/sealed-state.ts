import { readFile, rename, writeFile } from "node:fs/promises";
import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { JournalHeaderSchema } from "../../../gen/ottoscaler/store/v1/journal_pb.js";
import {
  PipelineProgressSchema,
  type PipelineSummary,
  PipelineSummarySchema,
} from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { emptyJournalState, type JournalState } from "./journal-state.ts";

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

/** The journal's counters as they are; its messages as protobuf JSON. */
type SealedFile = Omit<JournalState, "header" | "lastProgress"> & {
  version: 1;
  header?: JsonValue;
  lastProgress?: JsonValue;
  summary?: JsonValue;
};

export async function writeSealedState(path: string, sealed: SealedState): Promise<void> {
  const { header, lastProgress, ...counters } = sealed.state;
  const file: SealedFile = {
    version: 1,
    ...counters,
    ...(header !== undefined && { header: toJson(JournalHeaderSchema, header) }),
    ...(lastProgress !== undefined && {
      lastProgress: toJson(PipelineProgressSchema, lastProgress),
    }),
    ...(sealed.summary !== undefined && {
      summary: toJson(PipelineSummarySchema, sealed.summary),
    }),
  };
  // Write then rename: a crash leaves the old file or the new one, never half of one.
  await writeFile(`${path}.tmp`, JSON.stringify(file));
  await rename(`${path}.tmp`, path);
}

/** The sealed state, or undefined when there is none or it cannot be read. */
export async function readSealedState(path: string): Promise<SealedState | undefined> {
  try {
    const file = JSON.parse(await readFile(path, "utf8")) as SealedFile;
    if (file.version !== 1) return undefined;
    const { version: _, header, lastProgress, summary, ...counters } = file;
    return {
      state: {
        // Counters added since a journal was sealed start from their empty values.
        ...emptyJournalState(),
        ...counters,
        header: header === undefined ? undefined : fromJson(JournalHeaderSchema, header),
        lastProgress:
          lastProgress === undefined ? undefined : fromJson(PipelineProgressSchema, lastProgress),
      },
      summary: summary === undefined ? undefined : fromJson(PipelineSummarySchema, summary),
    };
  } catch {
    return undefined;
  }
}

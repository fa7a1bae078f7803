import path from "node:path";
import { toBinary } from "@bufbuild/protobuf";
import {
  type JournalRecord,
  JournalRecordSchema,
} from "../../../gen/ottoscaler/store/v1/journal_pb.js";
import type { PipelineSummary } from "../../../gen/ottoscaler/v1/pipeline_pb.js";
import { JournalWriter, type JournalWriterEvents } from "../journal/journal-writer.ts";
import { frameHeaderBytes } from "../journal/record-frame.ts";
import { type JournalState, observeRecord } from "./journal-state.ts";
import { writeSealedState } from "./sealed-state.ts";

export type BuildKind = "pipeline" | "task";

export const journalFileName = "journal";
export const sealedFileName = "sealed.json";

/**
 * One build's durable history (a pipeline's, or a ScaleUp task's): its journal
 * file and what is known of it. Open for appending while the build runs in
 * this process; sealed when it ends.
 */
export class BuildJournal {
  readonly kind: BuildKind;
  readonly id: string;
  readonly dir: string;
  readonly state: JournalState;
  summary: PipelineSummary | undefined;
  #writer: JournalWriter | undefined;

  constructor(
    kind: BuildKind,
    id: string,
    dir: string,
    state: JournalState,
    summary: PipelineSummary | undefined,
  ) {
    this.kind = kind;
    this.id = id;
    this.dir = dir;
    this.state = state;
    this.summary = summary;
  }

  get key(): string {
    return `${this.kind}/${this.id}`;
  }

  get path(): string {
    return path.join(this.dir, journalFileName);
  }

  /** Being written by this process: retention leaves it alone. */
  get writing(): boolean {
    return this.#writer !== undefined;
  }

  /** Bytes a reader can read now. */
  get readableBytes(): number {
    return this.#writer?.flushedBytes ?? this.state.bytes;
  }

  openForWriting(events: JournalWriterEvents): void {
    this.#writer ??= new JournalWriter(this.path, this.state.bytes, events);
  }

  /** Appends a record (written at the end of this turn of the event loop). */
  append(record: JournalRecord): void {
    if (this.#writer === undefined) throw new Error(`journal ${this.key} is not open`);
    const payload = toBinary(JournalRecordSchema, record);
    const offset = this.#writer.append(payload);
    observeRecord(this.state, offset, frameHeaderBytes + payload.length, payload, {
      record,
      trackWorkers: this.kind === "task",
    });
  }

  /** Writes what is pending now, so a reader of the file sees it. */
  flush(): void {
    this.#writer?.flush();
  }

  /**
   * The build has ended: the journal goes to disk, is closed, and its state is
   * sealed so a restart trusts it without reading it.
   */
  async seal(summary?: PipelineSummary): Promise<void> {
    if (summary !== undefined) this.summary = summary;
    const writer = this.#writer;
    this.#writer = undefined;
    writer?.sync();
    writer?.close();
    await writeSealedState(path.join(this.dir, sealedFileName), {
      state: this.state,
      summary: this.summary,
    });
  }
}

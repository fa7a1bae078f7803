import { setTimeout as sleep } from "node:timers/promises";
import { type Metadata, type ServerUnaryCall, type sendUnaryData, status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { DedupeStore } from "./dedupe-store.ts";
import type { OutFile } from "./out-file.ts";
import {
  type EntryRecord,
  InvalidEntryError,
  keyId,
  type PlainRequest,
  toRecords,
} from "./records.ts";

export interface IngestResponse {
  stored: number;
  duplicates: number;
}

/** How the handler answers; the last four are faults injected for tests. */
export interface IngestOptions {
  token: string | undefined;
  delayMs: number;
  maxStore: number | undefined;
  failEvery: number | undefined;
  rejectLine: RegExp | undefined;
}

/** Stored keys per kind of entry: log lines by worker id, status events by pipeline id, worker events by task id. */
export type StoredKeys = Record<EntryRecord["kind"], DedupeStore>;

export function emptyStoredKeys(): StoredKeys {
  return { log: new DedupeStore(), status: new DedupeStore(), worker: new DedupeStore() };
}

export interface IngestState {
  file: OutFile;
  stored: StoredKeys;
}

/** A failed call: the gRPC status and its message. */
class CallError extends Error {
  readonly code: status;
  constructor(code: status, message: string) {
    super(message);
    this.code = code;
  }
}

export interface IngestService {
  IngestEntries(
    call: ServerUnaryCall<PlainRequest, IngestResponse>,
    callback: sendUnaryData<IngestResponse>,
  ): void;
  /** For the log: calls that passed the token check, entries written, duplicates acknowledged. */
  totals(): { calls: number; written: number; duplicates: number };
}

export function createIngestService(
  options: IngestOptions,
  state: IngestState,
  log: Logger,
): IngestService {
  let calls = 0;
  let written = 0;
  let duplicateCount = 0;
  // Batches are stored one at a time, so two calls carrying the same entry cannot both find it
  // new and write it twice.
  let tail: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work);
    tail = result.catch(() => {});
    return result;
  };

  async function handle(call: ServerUnaryCall<PlainRequest, IngestResponse>) {
    const entries = call.request.entries?.length ?? 0;
    log.debug({ event: "callReceived", source: call.request.source, entries });
    if (options.delayMs > 0) await sleep(options.delayMs);
    if (options.token !== undefined) checkToken(call.metadata, options.token);
    calls++;
    if (options.failEvery !== undefined && calls % options.failEvery === 0) {
      throw new CallError(status.UNAVAILABLE, `--fail-every ${options.failEvery}: call ${calls}`);
    }
    const records = validate(call.request);
    const batch = records.slice(0, options.maxStore ?? records.length);
    if (call.cancelled) throw new CallError(status.CANCELLED, "the caller gave up");
    return serially(() => store(batch));
  }

  function validate(request: PlainRequest): EntryRecord[] {
    let records: EntryRecord[];
    try {
      records = toRecords(request);
    } catch (error) {
      if (error instanceof InvalidEntryError) {
        throw new CallError(status.INVALID_ARGUMENT, error.message);
      }
      throw error;
    }
    const pattern = options.rejectLine;
    if (pattern !== undefined) {
      const index = records.findIndex((r) => r.kind === "log" && pattern.test(r.line));
      if (index !== -1) {
        throw new CallError(
          status.INVALID_ARGUMENT,
          `entries[${index}].log.line: matches --reject-line ${pattern.source}`,
        );
      }
    }
    return records;
  }

  async function store(batch: EntryRecord[]): Promise<IngestResponse> {
    const fresh: EntryRecord[] = [];
    // Keys new to this batch, kept apart until the write succeeds.
    const pending = emptyStoredKeys();
    for (const record of batch) {
      const id = keyId(record);
      if (
        state.stored[record.kind].has(id, record.sequence) ||
        pending[record.kind].has(id, record.sequence)
      )
        continue;
      pending[record.kind].add(id, record.sequence);
      fresh.push(record);
    }
    if (fresh.length > 0) {
      try {
        await state.file.append(fresh.map((r) => `${JSON.stringify(r)}\n`).join(""));
      } catch (error) {
        throw new CallError(status.UNAVAILABLE, `writing the out file: ${String(error)}`);
      }
    }
    for (const record of fresh) {
      state.stored[record.kind].add(keyId(record), record.sequence);
    }
    const duplicates = batch.length - fresh.length;
    written += fresh.length;
    duplicateCount += duplicates;
    return { stored: batch.length, duplicates };
  }

  return {
    IngestEntries(call, callback) {
      handle(call).then(
        (response) => {
          log.debug({ event: "callAnswered", ...response });
          callback(null, response);
        },
        (error: unknown) => {
          if (!(error instanceof CallError)) {
            log.error({ event: "callFailed", err: error });
            callback({ code: status.INTERNAL, details: String(error) });
            return;
          }
          log.info({ event: "callRejected", code: status[error.code], details: error.message });
          callback({ code: error.code, details: error.message });
        },
      );
    },
    totals: () => ({ calls, written, duplicates: duplicateCount }),
  };
}

function checkToken(metadata: Metadata, token: string): void {
  const [value] = metadata.get("authorization");
  const match = typeof value === "string" ? /^Bearer +(.+)$/i.exec(value) : null;
  if (match?.[1] !== token) {
    throw new CallError(status.UNAUTHENTICATED, "a valid bearer token is required");
  }
}

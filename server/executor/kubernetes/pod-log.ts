import type { KubeConfig } from "@kubernetes/client-node";
import { Backoff } from "../../util/backoff.ts";
import { LineSplitter } from "../../util/line-splitter.ts";
import { LogDeduplicator } from "./log-timestamps.ts";
import { readPodLog } from "./pod-log-request.ts";

export interface PodLogTarget {
  namespace: string;
  pod: string;
}

/** What one read of the log brought. */
interface LogRead {
  newLines: number;
  /** Text after the last line break: a line still being written, or a last line without one. */
  unfinished: string | undefined;
}

/** Pause between reads while the log is still settling after the container ended. */
const settleDelayMs = 100;

/**
 * One worker pod's log, passed on line by line exactly once: followed live
 * while the container runs, then read again after it ends, from where the
 * follow got to, until it has settled, so a follow that started late or broke
 * loses nothing. The container runtime may still be writing the log's end
 * when the container is already reported finished: a read that ends inside a
 * line, or brings new lines, is followed by another one.
 * (Kubernetes merges stdout and stderr into one log.)
 */
export class PodLogCapture {
  readonly #kc: KubeConfig;
  readonly #target: PodLogTarget;
  readonly #emit: (line: string) => void;
  readonly #maxLineBytes: number;
  readonly #dedupe = new LogDeduplicator();
  #follow: AbortController | undefined;
  #closed = false;

  constructor(
    kc: KubeConfig,
    target: PodLogTarget,
    maxLineBytes: number,
    emit: (line: string) => void,
  ) {
    this.#kc = kc;
    this.#target = target;
    this.#maxLineBytes = maxLineBytes;
    this.#emit = emit;
  }

  /** Starts following; a broken follow is made good by `complete`. */
  follow(): void {
    if (this.#follow !== undefined || this.#closed) return;
    this.#follow = new AbortController();
    const controller = this.#follow;
    void this.#read(true, controller.signal).catch(() => {});
  }

  /** After the container has ended: reads what the follow missed until the log settles, then stops. */
  async complete(attempts = 20, maxReads = 20): Promise<void> {
    this.#follow?.abort();
    this.#follow = undefined;
    const retries = new Backoff({ initialMs: 250, maxMs: 3000 });
    let reads = 0;
    let previous: LogRead | undefined;
    for (;;) {
      let read: LogRead;
      try {
        read = await this.#read(false, undefined);
      } catch (error) {
        // The API server may be restarting: try again shortly.
        const delay = retries.next();
        if (retries.failures >= attempts) {
          this.#closed = true;
          throw error;
        }
        await new Promise((r) => setTimeout(r, delay));
        continue;
      }
      reads++;
      // Settled: nothing new, and it ends where the read before ended.
      const settled = read.newLines === 0 && read.unfinished === previous?.unfinished;
      if (settled || reads >= maxReads) {
        // A last line without a line break is a line too, once nothing more comes.
        const last =
          read.unfinished === undefined ? undefined : this.#dedupe.accept(read.unfinished);
        if (last !== undefined) this.#emit(last);
        this.#closed = true;
        return;
      }
      previous = read;
      await new Promise((r) => setTimeout(r, settleDelayMs));
    }
  }

  /** Stops following without reading more (the pod is gone). */
  close(): void {
    this.#closed = true;
    this.#follow?.abort();
  }

  async #read(follow: boolean, signal: AbortSignal | undefined): Promise<LogRead> {
    const dedupe = this.#dedupe;
    dedupe.newRead();
    const result: LogRead = { newLines: 0, unfinished: undefined };
    let ending = false;
    const splitter = new LineSplitter(this.#maxLineBytes + 40, (raw) => {
      // No line break yet: kept aside, not passed on, so a later read brings the whole line.
      if (ending) result.unfinished = raw;
      else if (this.#closed || signal?.aborted) return;
      else {
        const line = dedupe.accept(raw);
        if (line === undefined) return;
        result.newLines++;
        this.#emit(line);
      }
    });
    const since = dedupe.sinceTime;
    await readPodLog(
      this.#kc,
      { ...this.#target, follow, ...(since !== undefined && { sinceTime: since }) },
      (chunk) => splitter.write(chunk),
      signal,
    );
    ending = true;
    splitter.end();
    return result;
  }
}

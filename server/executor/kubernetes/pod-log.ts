import type { KubeConfig } from "@kubernetes/client-node";
import { LineSplitter } from "../../util/line-splitter.ts";
import { LogDeduplicator } from "./log-timestamps.ts";
import { readPodLog } from "./pod-log-request.ts";

export interface PodLogTarget {
  namespace: string;
  pod: string;
}

/**
 * One worker pod's log, passed on line by line exactly once: followed live
 * while the container runs, then read once more after it ends, from where
 * the follow got to, so a follow that started late or broke loses nothing.
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

  /** After the container has ended: reads what the follow missed, then stops. */
  async complete(attempts = 20): Promise<void> {
    this.#follow?.abort();
    this.#follow = undefined;
    let lastError: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        await this.#read(false, undefined);
        this.#closed = true;
        return;
      } catch (error) {
        lastError = error;
        // The API server may be restarting: try again shortly.
        await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** i, 3000)));
      }
    }
    this.#closed = true;
    throw lastError;
  }

  /** Stops following without reading more (the pod is gone). */
  close(): void {
    this.#closed = true;
    this.#follow?.abort();
  }

  async #read(follow: boolean, signal: AbortSignal | undefined): Promise<void> {
    const dedupe = this.#dedupe;
    dedupe.newRead();
    const splitter = new LineSplitter(this.#maxLineBytes + 40, (raw) => {
      if (this.#closed || signal?.aborted) return;
      const line = dedupe.accept(raw);
      if (line !== undefined) this.#emit(line);
    });
    const since = dedupe.sinceTime;
    await readPodLog(
      this.#kc,
      { ...this.#target, follow, ...(since !== undefined && { sinceTime: since }) },
      (chunk) => splitter.write(chunk),
      signal,
    );
    splitter.end();
  }
}

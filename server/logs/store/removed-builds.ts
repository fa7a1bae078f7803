import { appendFileSync } from "node:fs";
import { readFile, truncate } from "node:fs/promises";
import type { BuildKind } from "./build-journal.ts";

/** What is remembered of a build that retention removed. */
export interface RemovedBuild {
  kind: BuildKind;
  id: string;
  removedAt: string;
  /** Numbering a task that is scaled up again continues after (worker ids, worker events). */
  maxWorkerIndex: number;
  workerEvents: number;
}

/**
 * The builds retention removed, one JSON line each in `builds/removed.jsonl`.
 * Their ids key what was forwarded to Otto-handler (worker ids, sequences), so
 * a build with the same id must never number its entries from the start again:
 * a pipeline id stays taken, a task scaled up again continues its numbering.
 * A line is small (~120 bytes) and written before the build's files go.
 */
export class RemovedBuilds {
  readonly #file: string;
  readonly #builds = new Map<string, RemovedBuild>();

  constructor(file: string) {
    this.#file = file;
  }

  async load(): Promise<void> {
    const text = await readFile(this.#file, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return "";
      throw error;
    });
    // A line cut short by a crash: its build's files were not removed yet, so retention
    // removes it again and writes the line again. Cut, so the next line starts on its own.
    const whole = text.slice(0, text.lastIndexOf("\n") + 1);
    if (whole.length < text.length) await truncate(this.#file, Buffer.byteLength(whole));
    for (const line of whole.split("\n")) {
      const build = parseLine(line);
      if (build !== undefined) this.#remember(build);
    }
  }

  get(kind: BuildKind, id: string): RemovedBuild | undefined {
    return this.#builds.get(`${kind}/${id}`);
  }

  /** Remembers and writes (flushed) at once, so the build's files can go right after. */
  add(build: RemovedBuild): void {
    appendFileSync(this.#file, `${JSON.stringify(build)}\n`, { flush: true });
    this.#remember(build);
  }

  #remember(build: RemovedBuild): void {
    const key = `${build.kind}/${build.id}`;
    const known = this.#builds.get(key);
    // Removed more than once (a task scaled up again later): the numbering only grows.
    this.#builds.set(key, {
      ...build,
      maxWorkerIndex: Math.max(build.maxWorkerIndex, known?.maxWorkerIndex ?? -1),
      workerEvents: Math.max(build.workerEvents, known?.workerEvents ?? 0),
    });
  }
}

function parseLine(line: string): RemovedBuild | undefined {
  if (line.trim() === "") return undefined;
  try {
    const value = JSON.parse(line) as Partial<RemovedBuild>;
    if (
      (value.kind !== "pipeline" && value.kind !== "task") ||
      typeof value.id !== "string" ||
      typeof value.removedAt !== "string"
    ) {
      return undefined;
    }
    return {
      kind: value.kind,
      id: value.id,
      removedAt: value.removedAt,
      maxWorkerIndex: typeof value.maxWorkerIndex === "number" ? value.maxWorkerIndex : -1,
      workerEvents: typeof value.workerEvents === "number" ? value.workerEvents : 0,
    };
  } catch {
    return undefined;
  }
}

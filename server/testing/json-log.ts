import readline from "node:readline";

export type LogLine = Record<string, unknown> & { event?: string; msg?: string; level?: number };

/** A child process's JSON log lines (pino style), kept, and waited on by event. */
export interface JsonLog {
  /** Every line so far; a line that is not JSON is kept as `{ msg: line }`. */
  lines: LogLine[];
  /**
   * The first line (past or future) with this event for which `where` holds;
   * rejects if the log ends (the process has exited) without one.
   */
  waitFor(event: string, where?: (line: LogLine) => boolean): Promise<LogLine>;
}

export function followJsonLog(input: NodeJS.ReadableStream): JsonLog {
  const lines: LogLine[] = [];
  const waiters = new Set<(line: LogLine | undefined) => void>();
  let ended = false;
  const reader = readline.createInterface({ input });
  reader.on("close", () => {
    ended = true;
    for (const waiter of waiters) waiter(undefined);
  });
  reader.on("line", (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text };
    }
    lines.push(line);
    for (const waiter of waiters) waiter(line);
  });
  return {
    lines,
    waitFor(event, where = () => true) {
      const past = lines.find((line) => line.event === event && where(line));
      if (past !== undefined) return Promise.resolve(past);
      if (ended) return Promise.reject(new Error(`the log ended without ${event}`));
      return new Promise<LogLine>((resolve, reject) => {
        const waiter = (line: LogLine | undefined) => {
          if (line !== undefined && (line.event !== event || !where(line))) return;
          waiters.delete(waiter);
          if (line === undefined) reject(new Error(`the log ended without ${event}`));
          else resolve(line);
        };
        waiters.add(waiter);
      });
    },
  };
}

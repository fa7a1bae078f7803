// For tests: the real handler as a child process, and a Connect gRPC client for it.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import readline from "node:readline";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OttoHandlerIngestService } from "../../../gen/otto/handler/v1/handler_pb.js";

export type LogEvent = Record<string, unknown> & { event?: string };

export interface HandlerProcess extends AsyncDisposable {
  child: ChildProcess;
  port: number;
  /** Every stderr line so far, parsed when it is JSON. */
  logs: LogEvent[];
  /** Resolves with the first log event (past or future) named `event` that matches `fields`. */
  waitForLog(event: string, fields?: Record<string, unknown>): Promise<LogEvent>;
  client(options?: { tlsCa?: Buffer }): Client<typeof OttoHandlerIngestService>;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const main = path.join(import.meta.dirname, "main.ts");

export async function startHandler(args: string[]): Promise<HandlerProcess> {
  const child = spawn(process.execPath, [main, "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const logs: LogEvent[] = [];
  const waiters = new Set<(entry: LogEvent) => void>();
  readline.createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
    let entry: LogEvent;
    try {
      entry = JSON.parse(line) as LogEvent;
    } catch {
      entry = { text: line };
    }
    logs.push(entry);
    for (const waiter of waiters) waiter(entry);
  });
  const port = await new Promise<number>((resolve, reject) => {
    exited.then((code) => reject(new Error(`otto-handler-dev exited with ${code}`)));
    readline
      .createInterface({ input: child.stdout as NodeJS.ReadableStream })
      .on("line", (line) => {
        const match = /^otto-handler-dev listening on (\d+)$/.exec(line);
        if (match) resolve(Number(match[1]));
      });
  });
  const matches = (entry: LogEvent, event: string, fields: Record<string, unknown>) =>
    entry.event === event && Object.entries(fields).every(([k, v]) => entry[k] === v);
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    child,
    port,
    logs,
    waitForLog(event, fields = {}) {
      const past = logs.find((entry) => matches(entry, event, fields));
      if (past !== undefined) return Promise.resolve(past);
      return new Promise((resolve) => {
        const waiter = (entry: LogEvent) => {
          if (!matches(entry, event, fields)) return;
          waiters.delete(waiter);
          resolve(entry);
        };
        waiters.add(waiter);
      });
    },
    client(options = {}) {
      const transport =
        options.tlsCa === undefined
          ? createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` })
          : createGrpcTransport({
              baseUrl: `https://127.0.0.1:${port}`,
              nodeOptions: { ca: options.tlsCa },
            });
      return createClient(OttoHandlerIngestService, transport);
    },
    stop,
    async [Symbol.asyncDispose]() {
      await stop("SIGKILL");
    },
  };
}

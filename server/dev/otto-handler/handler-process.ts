// For tests: the real handler as a child process, and a Connect gRPC client for it.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import readline from "node:readline";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OttoHandlerIngestService } from "../../../gen/otto/handler/v1/handler_pb.js";
import { followJsonLog, type LogLine } from "../../testing/json-log.ts";

export type LogEvent = LogLine;

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
  const log = followJsonLog(child.stderr as NodeJS.ReadableStream);
  const port = await new Promise<number>((resolve, reject) => {
    exited.then((code) => reject(new Error(`otto-handler-dev exited with ${code}`)));
    readline
      .createInterface({ input: child.stdout as NodeJS.ReadableStream })
      .on("line", (line) => {
        const match = /^otto-handler-dev listening on (\d+)$/.exec(line);
        if (match) resolve(Number(match[1]));
      });
  });
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    child,
    port,
    logs: log.lines,
    waitForLog: (event, fields = {}) =>
      log.waitFor(event, (line) => Object.entries(fields).every(([k, v]) => line[k] === v)),
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

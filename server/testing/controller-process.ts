import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { LogStreamingService } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";
import { followJsonLog, type LogLine } from "./json-log.ts";
import { createTransport } from "./test-server.ts";

export type { LogLine };

/** The real entry point (server/main.ts) as a child process: what users run. */
export interface ControllerProcess {
  child: ChildProcess;
  url: string;
  pid: number;
  /** Every JSON log line so far. */
  logs: LogLine[];
  /** The first log line (past or future) with this event for which `where` holds. */
  waitForLog(event: string, where?: (line: LogLine) => boolean): Promise<LogLine>;
  ottoscaler: Client<typeof OttoscalerService>;
  logStreaming: Client<typeof LogStreamingService>;
  /** Sends the signal and resolves with the exit code (or the signal's name). */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

const main = path.resolve(import.meta.dirname, "../main.ts");

/**
 * Starts the controller and resolves once it is ready for work, or with
 * `listening` only once it listens (a standby never gets ready).
 */
export async function startController(
  env: Record<string, string>,
  { until = "ready" }: { until?: "ready" | "listening" } = {},
): Promise<ControllerProcess> {
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      OTTOSCALER_HOST: "127.0.0.1",
      OTTOSCALER_PORT: "0",
      OTTOSCALER_EXECUTOR: "local",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit").then(([code, signal]) => (code ?? signal) as number | string);
  const { lines: logs, waitFor: waitForLog } = followJsonLog(child.stdout as NodeJS.ReadableStream);
  const listening = await waitForLog("serverListening");
  if (until === "ready") await waitForLog("serverReady");
  const url = `http://127.0.0.1:${listening.port}`;
  const transport = createTransport("grpc", url);
  return {
    child,
    url,
    pid: child.pid as number,
    logs,
    waitForLog,
    ottoscaler: createClient(OttoscalerService, transport),
    logStreaming: createClient(LogStreamingService, transport),
    stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Resident memory of a process now (Linux), in MiB. */
export async function rssMiB(pid: number): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

import { PassThrough } from "node:stream";
import { createLogger, type Logger } from "../observability/logger.ts";
import { followJsonLog, type JsonLog } from "./json-log.ts";

/** The real (pino) logger, its JSON lines kept for a test to read and wait on. */
export function recordingLogger(): { logger: Logger; log: JsonLog; text(): string } {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
  return {
    logger: createLogger({ level: "debug", destination: out }),
    log: followJsonLog(out),
    text: () => chunks.join(""),
  };
}

import { pino } from "pino";
import { type Language, type MessageId, messages } from "./messages.ts";

type Fields = Record<string, unknown>;

/** A structured logger whose human messages come from the message table. */
export interface Logger {
  debug(id: MessageId, fields?: Fields): void;
  info(id: MessageId, fields?: Fields): void;
  warn(id: MessageId, fields?: Fields): void;
  error(id: MessageId, fields?: Fields): void;
}

export interface LoggerOptions {
  level?: string;
  language?: Language;
  /** Where JSON lines go; stdout by default. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const language = options.language ?? "en";
  const base = pino(
    { level: options.level ?? "info", base: { service: "ottoscaler" } },
    options.destination ?? process.stdout,
  );
  const write =
    (level: "debug" | "info" | "warn" | "error") =>
    (id: MessageId, fields: Fields = {}) =>
      base[level]({ event: id, ...fields }, messages[id][language]);
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

/** A logger that adds `extra` to every line's fields. */
export function withFields(logger: Logger, extra: Fields): Logger {
  const write =
    (level: keyof Logger) =>
    (id: MessageId, fields: Fields = {}) =>
      logger[level](id, { ...extra, ...fields });
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

/** For tests and tools that want no output. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

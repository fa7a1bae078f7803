import { parseArgs } from "node:util";
import { type Bounds, wholeNumber } from "../../util/whole-number.ts";
import type { IngestOptions } from "./ingest-service.ts";

export interface HandlerOptions extends IngestOptions {
  host: string;
  port: number;
  out: string;
  tls: { cert: string; key: string } | undefined;
  logLevel: string;
}

export const usage = `Usage: npm run otto-handler-dev -- --port N --out FILE [options]

A reference Otto-handler for development and tests: serves otto.handler.v1.OttoHandlerIngestService
(gRPC, @grpc/grpc-js), keeps each entry once by (worker_id, sequence) or (pipeline_id, sequence),
and appends every entry it stores to FILE as one JSON line before acknowledging it. Started on an
existing FILE, it reads it back first, so entries already there are not written again.

Options:
  --port N           port to listen on; 0 picks a free one (default 0). Prints
                     "otto-handler-dev listening on PORT" to stdout once listening.
  --host H           address to listen on (default 127.0.0.1; 0.0.0.0 for a cluster to reach it)
  --out FILE         the JSON-lines file (required)
  --tls-cert FILE    serve TLS with this PEM certificate (with --tls-key); plain HTTP/2 otherwise
  --tls-key FILE     the certificate's PEM private key
  --token T          require "authorization: Bearer T"; other calls get UNAUTHENTICATED
  --log-level L      debug, info (default), warn or error; logs are JSON lines on stderr
  -h, --help         this text

Faults, for tests:
  --delay-ms N       wait N ms before handling each call (a caller that gives up meanwhile
                     gets nothing stored)
  --max-store N      store at most the first N entries of each batch (partial acknowledgements)
  --fail-every N     answer every Nth call UNAVAILABLE without storing anything of it
  --reject-line RE   answer INVALID_ARGUMENT to a batch holding a log line that matches the
                     regular expression RE (JavaScript syntax)
`;

/** The options, "help", or an Error saying what is wrong with the arguments. */
export function parseOptions(args: string[]): HandlerOptions | "help" | Error {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string", default: "0" },
        host: { type: "string", default: "127.0.0.1" },
        out: { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        token: { type: "string" },
        "log-level": { type: "string", default: "info" },
        "delay-ms": { type: "string", default: "0" },
        "max-store": { type: "string" },
        "fail-every": { type: "string" },
        "reject-line": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    return error as Error;
  }
  if (values.help === true) return "help";
  const text = (name: string) => values[name] as string | undefined;
  try {
    const out = text("out");
    if (out === undefined || out === "") throw new Error("--out FILE is required");
    const cert = text("tls-cert");
    const key = text("tls-key");
    if ((cert === undefined) !== (key === undefined)) {
      throw new Error("--tls-cert and --tls-key go together");
    }
    const logLevel = text("log-level") ?? "info";
    if (!["debug", "info", "warn", "error"].includes(logLevel)) {
      throw new Error(`--log-level: ${logLevel} is not one of debug, info, warn, error`);
    }
    const rejectLine = text("reject-line");
    return {
      host: text("host") ?? "127.0.0.1",
      port: wholeNumberFlag("port", text("port"), { min: 0, max: 65535 }) ?? 0,
      out,
      tls: cert !== undefined && key !== undefined ? { cert, key } : undefined,
      token: text("token"),
      logLevel,
      delayMs: wholeNumberFlag("delay-ms", text("delay-ms"), { min: 0 }) ?? 0,
      maxStore: wholeNumberFlag("max-store", text("max-store"), { min: 0 }),
      failEvery: wholeNumberFlag("fail-every", text("fail-every"), { min: 1 }),
      rejectLine: rejectLine === undefined ? undefined : regex(rejectLine),
    };
  } catch (error) {
    return error as Error;
  }
}

/** The flag's whole number, undefined when not given. */
function wholeNumberFlag(name: string, value: string | undefined, bounds: Bounds) {
  if (value === undefined) return undefined;
  const n = wholeNumber(value, bounds);
  if (n === undefined) {
    throw new Error(`--${name}: ${JSON.stringify(value)} is not a whole number from ${bounds.min}`);
  }
  return n;
}

function regex(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw new Error(`--reject-line: ${(error as Error).message}`);
  }
}

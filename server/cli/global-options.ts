import type { OptionDeclarations, OptionValuesGiven } from "./command.ts";
import { optionValues } from "./command-input.ts";
import { UsageError } from "./errors.ts";

export const protocols = ["grpc", "grpc-web", "connect"] as const;
export type Protocol = (typeof protocols)[number];

export const defaultServer = "http://localhost:9090";

/** The options every command takes, anywhere on the command line. */
export const globalOptions = {
  server: {
    type: "string",
    valueName: "URL",
    help: `Ottoscaler server (default: $OTTOSCALER_SERVER or ${defaultServer})`,
  },
  protocol: {
    type: "string",
    valueName: "PROTOCOL",
    default: "connect",
    help: "grpc (HTTP/2), grpc-web or connect (JSON over HTTP/1.1; the default)",
  },
  json: {
    type: "boolean",
    default: false,
    help: "print the API's messages as JSON, one per line",
  },
  token: {
    type: "string",
    valueName: "TOKEN",
    help: "bearer token for servers with authentication (default: $OTTOSCALER_TOKEN)",
  },
  ca: {
    type: "string",
    valueName: "FILE",
    help: "PEM CA to trust for an https:// server (default: $OTTOSCALER_CA, else the system's)",
  },
  cert: {
    type: "string",
    valueName: "FILE",
    help: "PEM client certificate, for servers in mtls mode (with --key)",
  },
  key: { type: "string", valueName: "FILE", help: "PEM private key of --cert" },
  help: { type: "boolean", short: "h", default: false, help: "show help" },
} as const satisfies OptionDeclarations;

export interface GlobalOptions {
  server: string;
  protocol: Protocol;
  json: boolean;
  /** Each only when given (or in its variable). */
  token?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

function isProtocol(name: string): name is Protocol {
  return (protocols as readonly string[]).includes(name);
}

function parseServer(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--server: "${text}" is not a URL such as ${defaultServer}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--server: "${text}" must start with http:// or https://`);
  }
  return text.replace(/\/+$/, "");
}

/** The global options of a command line; the server falls back to $OTTOSCALER_SERVER. */
export function parseGlobalOptions(
  given: OptionValuesGiven,
  env: Record<string, string | undefined>,
): GlobalOptions {
  const values = optionValues(globalOptions, given);
  if (!isProtocol(values.protocol)) {
    throw new UsageError(`--protocol: "${values.protocol}" is not one of ${protocols.join(", ")}`);
  }
  const serverText = values.server ?? env.OTTOSCALER_SERVER;
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new UsageError(values.cert === undefined ? "--key needs --cert" : "--cert needs --key");
  }
  const token = values.token ?? env.OTTOSCALER_TOKEN;
  const ca = values.ca ?? env.OTTOSCALER_CA;
  return {
    server: parseServer(serverText === undefined || serverText === "" ? defaultServer : serverText),
    protocol: values.protocol,
    json: values.json,
    ...(token !== undefined && token !== "" && { token }),
    ...(ca !== undefined && ca !== "" && { ca }),
    ...(values.cert !== undefined && { cert: values.cert }),
    ...(values.key !== undefined && { key: values.key }),
  };
}

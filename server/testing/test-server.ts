import { type Client, createClient } from "@connectrpc/connect";
import { AuditService } from "../../gen/ottoscaler/v1/audit_pb.js";
import { LogStreamingService } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";
import { type App, createApp } from "../app.ts";
import type { Authenticator } from "../auth/authenticator.ts";
import type { Protocol } from "../cli/args.ts";
import { createTransport, type TransportCredentials } from "../cli/transport.ts";
import { loadConfig } from "../config/config.ts";
import type { Executor } from "../executor/executor.ts";
import { type RunningServer, startServer } from "../http/server.ts";
import { type Logger, silentLogger } from "../observability/logger.ts";
import { tempDataDir } from "./data-dir.ts";

export type { Protocol };
export { createTransport };
export const protocols: Protocol[] = ["grpc", "grpc-web", "connect"];

export interface TestServer extends AsyncDisposable {
  app: App;
  server: RunningServer;
  url: string;
  /** Clients over cleartext, or over TLS (the server's secureUrl) when credentials name a CA. */
  clients(
    protocol: Protocol,
    credentials?: TransportCredentials,
  ): {
    ottoscaler: Client<typeof OttoscalerService>;
    logs: Client<typeof LogStreamingService>;
    audit: Client<typeof AuditService>;
  };
}

/** A real server on a free loopback port, with the local executor unless told otherwise. */
export async function startTestServer(
  env: Record<string, string> = {},
  parts: { executor?: Executor; logger?: Logger; auth?: Authenticator } = {},
): Promise<TestServer> {
  const config = loadConfig({
    OTTOSCALER_HOST: "127.0.0.1",
    OTTOSCALER_PORT: "0",
    OTTOSCALER_STOP_GRACE_MS: "2000",
    OTTOSCALER_DATA_DIR: tempDataDir(),
    ...env,
  });
  const app = createApp(config, { logger: silentLogger, ...parts });
  await app.open();
  const server = await startServer(app);
  return {
    app,
    server,
    url: server.url,
    clients(protocol, credentials = {}) {
      const url = credentials.ca !== undefined ? (server.secureUrl ?? "") : server.url;
      const transport = createTransport(protocol, url, credentials);
      return {
        ottoscaler: createClient(OttoscalerService, transport),
        logs: createClient(LogStreamingService, transport),
        audit: createClient(AuditService, transport),
      };
    },
    async [Symbol.asyncDispose]() {
      await Promise.all([server.close(), app.shutdown("test finished")]);
    },
  };
}

/** Reads a stream to its end. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

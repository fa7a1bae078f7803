// npm run otto-handler-dev -- --port N --out FILE: the reference Otto-handler (see --help).
import { readFile } from "node:fs/promises";
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { createIngestService, emptyStoredKeys } from "./ingest-service.ts";
import { type HandlerOptions, parseOptions, usage } from "./options.ts";
import { openOutFile } from "./out-file.ts";
import { loadIngestService } from "./proto.ts";

/** A graceful stop that takes longer than this drops the calls still open. */
const stopGraceMs = 10_000;

const parsed = parseOptions(process.argv.slice(2));
if (parsed === "help") {
  process.stdout.write(usage);
  process.exit(0);
}
if (parsed instanceof Error) {
  process.stderr.write(`otto-handler-dev: ${parsed.message}\n\n${usage}`);
  process.exit(2);
}
await run(parsed);

async function run(options: HandlerOptions): Promise<void> {
  // Synchronous, so nothing logged is lost when the process exits.
  const log = pino(
    { level: options.logLevel, base: { service: "otto-handler-dev" } },
    pino.destination({ fd: 2, sync: true }),
  );
  const stored = emptyStoredKeys();
  const { file, recovery } = await openOutFile(options.out, (record) => {
    const sequence = record.sequence;
    if (typeof sequence !== "number") return;
    if (record.kind === "log" && typeof record.workerId === "string") {
      stored.log.add(record.workerId, sequence);
    } else if (record.kind === "status" && typeof record.pipelineId === "string") {
      stored.status.add(record.pipelineId, sequence);
    } else if (record.kind === "worker" && typeof record.taskId === "string") {
      stored.worker.add(record.taskId, sequence);
    }
  });
  if (recovery.truncatedBytes > 0) {
    log.warn(
      { event: "truncatedLineRemoved", bytes: recovery.truncatedBytes, file: options.out },
      "the out file ended in an unfinished line (a write cut short); removed it",
    );
  }
  if (recovery.unreadable > 0) {
    log.warn({ event: "unreadableLinesSkipped", lines: recovery.unreadable, file: options.out });
  }
  log.info({
    event: "outFileRead",
    file: options.out,
    lines: recovery.lines,
    workers: stored.log.stats().ids,
    pipelines: stored.status.stats().ids,
    tasks: stored.worker.stats().ids,
  });

  const service = createIngestService(options, { file, stored }, log);
  const server = new grpc.Server();
  server.addService(loadIngestService(), { IngestEntries: service.IngestEntries });
  const credentials =
    options.tls === undefined
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(null, [
          {
            cert_chain: await readFile(options.tls.cert),
            private_key: await readFile(options.tls.key),
          },
        ]);
  const port = await new Promise<number>((resolve, reject) => {
    const address = options.host.includes(":") ? `[${options.host}]` : options.host;
    server.bindAsync(`${address}:${options.port}`, credentials, (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    );
  });
  process.stdout.write(`otto-handler-dev listening on ${port}\n`);
  log.info({ event: "listening", host: options.host, port, tls: options.tls !== undefined });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal: stop now, dropping calls still open.
      server.forceShutdown();
      return;
    }
    stopping = true;
    log.info({ event: "stopping", signal });
    const force = setTimeout(() => server.forceShutdown(), stopGraceMs);
    // No new calls from here; the callback runs once every open call has been answered, and an
    // answer comes only after its batch is written.
    server.tryShutdown(async () => {
      clearTimeout(force);
      await file.close();
      log.info({
        event: "stopped",
        ...service.totals(),
        logKeys: stored.log.stats(),
        statusKeys: stored.status.stats(),
        workerEventKeys: stored.worker.stats(),
      });
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

import { type App, createApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config/config.ts";
import { checkExposure } from "./http/exposure.ts";
import { startServer } from "./http/server.ts";

/** The value of `make`, or exit code 2 with the message of a configuration error. */
function configured<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`ottoscaler: ${error.message}\n`);
    process.exit(2);
  }
}

async function openStore(app: App): Promise<void> {
  try {
    await app.open();
  } catch (error) {
    // Most likely OTTOSCALER_DATA_DIR cannot be created or written: say so and stop.
    app.logger.error("storeUnavailable", {
      dataDir: app.config.dataDir,
      error: (error as Error).message,
    });
    process.exit(1);
  }
}

/** Wires the port and the signals; everything else lives in createApp. */
async function main(): Promise<void> {
  const config = configured(() => {
    const config = loadConfig();
    // Settings fine alone but not together (exposed without authentication), before any work.
    checkExposure(config);
    return config;
  });
  // Reads the tokens file (a bad one stops the server here).
  const app = configured(() => createApp(config));
  // With leader election the data directory is the lease holder's: a standby opens it only
  // once it takes over, and listens before that (alive, not ready, refusing calls).
  if (app.campaign === undefined) await openStore(app);
  // Reads the TLS files (bad ones stop the server here).
  const server = await startServer(app).catch((error: unknown) =>
    configured(() => {
      throw error;
    }),
  );
  const stop = async (signal: string) => {
    app.logger.info("serverStopping", { signal });
    const forced = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5000);
    forced.unref();
    await Promise.all([server.close(), app.shutdown(`server shutting down (${signal})`)]);
    app.logger.info("serverStopped", {});
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
  app.logger.info("serverListening", {
    port: server.port,
    host: config.host,
    executor: app.executor.name,
    maxWorkers: config.maxWorkers,
  });
  // A controller that cannot renew its lease must stop acting before it can expire: exit.
  app.onLeaseLost(() => process.exit(1));
  if (app.campaign !== undefined) {
    if (!(await app.campaign())) return;
    await openStore(app);
  }
  // Listening first: /healthz answers while the executor connects; /readyz waits for it.
  await app.start();
  app.logger.info("serverReady", { executor: app.executor.name });
}

await main();

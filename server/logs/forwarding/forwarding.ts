import os from "node:os";
import { create } from "@bufbuild/protobuf";
import {
  type LogForwardingStatusResponse,
  LogForwardingStatusResponseSchema,
} from "../../../gen/ottoscaler/v1/log_streaming_pb.js";
import type { Config } from "../../config/config.ts";
import type { Logger } from "../../observability/logger.ts";
import type { BuildJournal } from "../store/build-journal.ts";
import type { BuildStore } from "../store/build-store.ts";
import { LogForwarder } from "./forwarder.ts";
import { createHandlerClient } from "./handler-client.ts";

/** Forwarding as configured: to Otto-handler when OTTO_HANDLER_URL is set, else nowhere. */
export class Forwarding {
  readonly #forwarders: LogForwarder[] = [];
  readonly #stop = new AbortController();
  readonly #logger: Logger;

  constructor(config: Config, store: BuildStore, logger: Logger, defaultSource: string) {
    this.#logger = logger;
    if (config.ottoHandlerUrl === "") return;
    const client = createHandlerClient({
      url: config.ottoHandlerUrl,
      token: config.ottoHandlerToken,
      caFile: config.ottoHandlerCaFile,
    });
    this.#forwarders.push(
      new LogForwarder(
        store,
        client,
        {
          url: config.ottoHandlerUrl,
          source: config.ottoHandlerSource || defaultSource || os.hostname(),
          maxEntries: config.ottoHandlerBatchEntries,
          maxBytes: config.ottoHandlerBatchBytes,
          maxBackoffMs: config.ottoHandlerMaxBackoffMs,
          callTimeoutMs: config.ottoHandlerTimeoutMs,
          reportEveryMs: 10_000,
        },
        logger,
      ),
    );
  }

  async start(): Promise<void> {
    for (const forwarder of this.#forwarders) {
      await forwarder.start(this.#stop.signal);
      const { url, lagEntries } = forwarder.status();
      this.#logger.info("forwardingStarted", { url, lagEntries: Number(lagEntries) });
    }
  }

  /** Whether every destination has acknowledged all of the build (true without forwarding). */
  delivered(journal: BuildJournal): boolean {
    return this.#forwarders.every((forwarder) => forwarder.delivered(journal));
  }

  status(): LogForwardingStatusResponse {
    return create(LogForwardingStatusResponseSchema, {
      destinations: this.#forwarders.map((forwarder) => forwarder.status()),
    });
  }

  async stop(): Promise<void> {
    this.#stop.abort("server shutting down");
    await Promise.all(this.#forwarders.map((forwarder) => forwarder.stopped()));
  }
}

import { randomBytes } from "node:crypto";
import type { CoreV1Api, V1ObjectReference } from "@kubernetes/client-node";
import type { Logger } from "../observability/logger.ts";

export type EventType = "Normal" | "Warning";

/**
 * Kubernetes Events on our resources, so `kubectl describe` tells a run's
 * story. Best effort, as client-go's recorder: one try each, a failure only
 * logged (at debug: an API server that is away must not flood the log).
 */
export class EventRecorder {
  readonly #core: CoreV1Api;
  readonly #namespace: string;
  readonly #component: string;
  readonly #logger: Logger;

  constructor(core: CoreV1Api, namespace: string, logger: Logger, component = "ottoscaler") {
    this.#core = core;
    this.#namespace = namespace;
    this.#component = component;
    this.#logger = logger;
  }

  record(object: V1ObjectReference, type: EventType, reason: string, message: string): void {
    const now = new Date();
    void this.#core
      .createNamespacedEvent({
        namespace: this.#namespace,
        body: {
          metadata: {
            // client-go's naming: the object's name and a unique suffix.
            name: `${object.name}.${now.getTime().toString(16)}${randomBytes(2).toString("hex")}`,
            namespace: this.#namespace,
          },
          involvedObject: { ...object, namespace: this.#namespace },
          type,
          reason,
          // The API server refuses messages over 1 KiB or so; ours are short, but keep them so.
          message: message.length > 1000 ? `${message.slice(0, 997)}...` : message,
          source: { component: this.#component },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          reportingComponent: this.#component,
        },
      })
      .catch((error: unknown) =>
        this.#logger.debug("eventRecordFailed", { reason, error: String(error) }),
      );
  }
}

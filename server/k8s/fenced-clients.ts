import { OttoscalerError } from "../domain/errors.ts";
import type { KubernetesClients } from "./client.ts";

const mutating = /^(create|replace|patch|delete)/;

/** An API client whose mutating calls fail before any request unless `allowed()`. */
function fenced<T extends object>(api: T, allowed: () => boolean): T {
  return new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || typeof property !== "string" || !mutating.test(property)) {
        return value;
      }
      return (...args: unknown[]) => {
        if (!allowed()) {
          return Promise.reject(
            new OttoscalerError(
              "unavailable",
              `${property} refused: this controller does not hold the lease, so it does not act`,
            ),
          );
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/**
 * The clients the controller acts through, fenced by the lease: once it is not
 * held (renewals failed, or the process was paused past it), no Job is created
 * or deleted and no status written, whatever code path asks. Reads stay open.
 */
export function fencedClients(
  clients: KubernetesClients,
  allowed: () => boolean,
): KubernetesClients {
  return {
    kc: clients.kc,
    batch: fenced(clients.batch, allowed),
    core: fenced(clients.core, allowed),
    custom: fenced(clients.custom, allowed),
  };
}

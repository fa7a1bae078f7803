import type { CoordinationV1Api, V1Lease } from "@kubernetes/client-node";
import type { Logger } from "../observability/logger.ts";
import { sleep } from "../util/sleep.ts";
import { classifyKubernetesError, isNotFound } from "./errors.ts";
import {
  claimedRecord,
  heldByOther,
  type LeaseObservation,
  MicroTime,
  releasedRecord,
  sameRecord,
} from "./lease-record.ts";

/** Lease timings, as client-go's leader election takes them. */
export interface LeaseTimings {
  /**
   * How long a lease holds without renewal; candidates wait this long after they last saw it change.
   * @default 15000
   */
  leaseDurationMs: number;
  /**
   * How long the holder keeps failing to renew before it stops acting; below leaseDurationMs, so
   * it stops before anyone else may start.
   * @default 10000
   */
  renewDeadlineMs: number;
  /**
   * Wait between tries to acquire (jittered up to 1.2×) and to renew.
   * @default 2000
   */
  retryPeriodMs: number;
}

export interface LeaseElectorOptions extends LeaseTimings {
  namespace: string;
  /** The Lease's name. */
  name: string;
  /** Who holds it: the pod's name. */
  identity: string;
}

/** Timings that cannot keep two holders apart, in words, or undefined when they can. */
export function leaseTimingsProblem(t: LeaseTimings): string | undefined {
  if (t.leaseDurationMs <= t.renewDeadlineMs) {
    return "the lease duration must be longer than the renew deadline";
  }
  if (t.renewDeadlineMs <= 1.2 * t.retryPeriodMs) {
    return "the renew deadline must be longer than 1.2 × the retry period";
  }
  return undefined;
}

type Phase = "candidate" | "leading" | "lost" | "released";

/**
 * One controller acts at a time: a coordination.k8s.io/v1 Lease taken and
 * renewed the way client-go's leaderelection does it. Writes carry the
 * resourceVersion they read, so of two racers one gets a conflict. A holder
 * that has not renewed for renewDeadlineMs is no longer `leading` (checked on
 * the monotonic clock at every use, so a process paused past its lease wakes
 * up not leading) and reports `lost` once.
 */
export class LeaseElector {
  readonly #api: CoordinationV1Api;
  readonly #options: LeaseElectorOptions;
  readonly #logger: Logger;
  readonly #stop = new AbortController();
  #phase: Phase = "candidate";
  #seen: LeaseObservation | undefined;
  /** Monotonic ms of the last successful write of our own record. */
  #renewedAtMs = Number.NEGATIVE_INFINITY;
  #lostListeners: ((reason: string) => void)[] = [];
  #deadline: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;

  constructor(api: CoordinationV1Api, options: LeaseElectorOptions, logger: Logger) {
    this.#api = api;
    this.#options = options;
    this.#logger = logger;
  }

  get identity(): string {
    return this.#options.identity;
  }

  /** True while this process holds the lease with time to spare. */
  get leading(): boolean {
    return (
      this.#phase === "leading" &&
      performance.now() - this.#renewedAtMs < this.#options.renewDeadlineMs
    );
  }

  /** Called once when a held lease is lost (renewals failed, or someone else took it). */
  onLost(listener: (reason: string) => void): void {
    this.#lostListeners.push(listener);
  }

  /** Resolves once this process holds the lease; false if stopped first. */
  async acquire(signal: AbortSignal): Promise<boolean> {
    const stopped = AbortSignal.any([signal, this.#stop.signal]);
    let waiting = false;
    while (!stopped.aborted) {
      if (await this.#tryAcquireOrRenew()) {
        this.#phase = "leading";
        this.#logger.info("leaseAcquired", { lease: this.#options.name, holder: this.identity });
        this.#renewing = this.#renewLoop();
        return true;
      }
      if (!waiting) {
        waiting = true;
        this.#logger.info("leaseWaiting", {
          lease: this.#options.name,
          holder: this.#seen?.spec.holderIdentity ?? "",
        });
      }
      const { retryPeriodMs } = this.#options;
      await sleep(retryPeriodMs * (1 + 0.2 * Math.random()), stopped);
    }
    return false;
  }

  /**
   * Steps down: stops renewing and, if it still holds the lease, writes it
   * released so the next candidate need not wait out the duration. Call only
   * once everything the lease guards has stopped.
   */
  async release(): Promise<void> {
    const wasLeading = this.leading;
    this.#phase = "released";
    this.#stop.abort();
    clearTimeout(this.#deadline);
    await this.#renewing;
    if (!wasLeading) return;
    try {
      const lease = await this.#read();
      if (lease?.spec?.holderIdentity !== this.identity) return;
      await this.#api.replaceNamespacedLease({
        name: this.#options.name,
        namespace: this.#options.namespace,
        body: { ...lease, spec: releasedRecord(lease.spec, new MicroTime()) },
      });
      this.#logger.info("leaseReleased", { lease: this.#options.name, holder: this.identity });
    } catch (error) {
      // The next candidate waits out the lease instead: slower, never unsafe.
      this.#logger.warn("leaseReleaseFailed", { lease: this.#options.name, error: String(error) });
    }
  }

  async #renewLoop(): Promise<void> {
    this.#armDeadline();
    const { retryPeriodMs } = this.#options;
    while (await sleep(retryPeriodMs, this.#stop.signal)) {
      if (this.#phase !== "leading") return;
      if (await this.#tryAcquireOrRenew()) {
        this.#armDeadline();
      } else if (
        this.#seen !== undefined &&
        heldByOther(this.#seen, this.identity, performance.now())
      ) {
        this.#lose(`the lease is held by ${this.#seen.spec.holderIdentity}`);
        return;
      }
    }
  }

  /** The renew deadline runs on its own timer: a renewal that hangs cannot hold it off. */
  #armDeadline(): void {
    clearTimeout(this.#deadline);
    const left = this.#renewedAtMs + this.#options.renewDeadlineMs - performance.now();
    this.#deadline = setTimeout(
      () => {
        if (this.#phase !== "leading") return;
        if (performance.now() - this.#renewedAtMs >= this.#options.renewDeadlineMs) {
          this.#lose(`not renewed for ${this.#options.renewDeadlineMs} ms`);
        } else {
          this.#armDeadline();
        }
      },
      Math.max(0, left),
    );
  }

  #lose(reason: string): void {
    if (this.#phase !== "leading") return;
    this.#phase = "lost";
    this.#stop.abort();
    clearTimeout(this.#deadline);
    this.#logger.error("leaseLost", { lease: this.#options.name, holder: this.identity, reason });
    for (const listener of this.#lostListeners) listener(reason);
  }

  async #read(): Promise<V1Lease | undefined> {
    try {
      return await this.#api.readNamespacedLease({
        name: this.#options.name,
        namespace: this.#options.namespace,
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** One try, as client-go's tryAcquireOrRenew: true when our record was written. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace, identity, leaseDurationMs } = this.#options;
    const seconds = Math.ceil(leaseDurationMs / 1000);
    try {
      const lease = await this.#read();
      const now = performance.now();
      if (lease === undefined) {
        const created = await this.#api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name },
            spec: claimedRecord(undefined, identity, seconds, new MicroTime()),
          },
        });
        return this.#wrote(created, now);
      }
      const spec = lease.spec ?? {};
      if (this.#seen === undefined || !sameRecord(this.#seen.spec, spec)) {
        this.#seen = { spec, observedAtMs: now };
      }
      if (heldByOther(this.#seen, identity, now)) return false;
      const replaced = await this.#api.replaceNamespacedLease({
        name,
        namespace,
        // The resourceVersion read: a racer that wrote first makes this a conflict.
        body: { ...lease, spec: claimedRecord(spec, identity, seconds, new MicroTime()) },
      });
      return this.#wrote(replaced, now);
    } catch (error) {
      const failure = classifyKubernetesError(error, "taking the lease");
      this.#logger.debug("leaseTryFailed", {
        lease: name,
        class: failure.class,
        error: failure.message,
      });
      return false;
    }
  }

  #wrote(lease: V1Lease, startedAtMs: number): boolean {
    // The renewal counts from before the request went out: the server's copy is at least that fresh.
    this.#renewedAtMs = startedAtMs;
    this.#seen = { spec: lease.spec ?? {}, observedAtMs: startedAtMs };
    return true;
  }
}

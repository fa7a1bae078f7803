import type { V1LeaseSpec } from "@kubernetes/client-node";

/**
 * When a candidate may take a coordination.k8s.io Lease, with client-go's
 * semantics: a holder's lease counts from the moment THIS candidate saw the
 * record change (on its own monotonic clock), never from the timestamps in it,
 * so clock offsets between nodes do not matter.
 */
export interface LeaseObservation {
  /** The record as last read: holder, renew time and transitions are what change. */
  spec: V1LeaseSpec;
  /** Monotonic ms (performance.now) when the record was first seen as it is. */
  observedAtMs: number;
}

function timeOf(time: Date | string | undefined): string {
  return time instanceof Date ? time.toISOString() : String(time ?? "");
}

/** Whether two reads are the same record (a renewal changes renewTime). */
export function sameRecord(a: V1LeaseSpec, b: V1LeaseSpec): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    timeOf(a.renewTime) === timeOf(b.renewTime) &&
    (a.leaseTransitions ?? 0) === (b.leaseTransitions ?? 0) &&
    (a.leaseDurationSeconds ?? 0) === (b.leaseDurationSeconds ?? 0)
  );
}

/** Another candidate holds the lease and it has not run out as seen from here. */
export function heldByOther(seen: LeaseObservation, identity: string, nowMs: number): boolean {
  const holder = seen.spec.holderIdentity ?? "";
  if (holder === "" || holder === identity) return false;
  return seen.observedAtMs + (seen.spec.leaseDurationSeconds ?? 0) * 1000 > nowMs;
}

/** The record to write when `identity` takes or renews the lease at wall time `now`. */
export function claimedRecord(
  previous: V1LeaseSpec | undefined,
  identity: string,
  leaseDurationSeconds: number,
  now: MicroTime,
): V1LeaseSpec {
  const renewing = previous?.holderIdentity === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: renewing && previous.acquireTime !== undefined ? previous.acquireTime : now,
    renewTime: now,
    // A new holder is a transition; the first holder of a new lease is not.
    leaseTransitions:
      previous === undefined
        ? 0
        : (previous.leaseTransitions ?? 0) + (renewing || !previous.holderIdentity ? 0 : 1),
  };
}

/** What a holder writes as it steps down: no holder, so the next candidate need not wait. */
export function releasedRecord(previous: V1LeaseSpec, now: MicroTime): V1LeaseSpec {
  return {
    holderIdentity: "",
    leaseDurationSeconds: 1,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: previous.leaseTransitions ?? 0,
  };
}

/**
 * A Kubernetes MicroTime: RFC 3339 with six fractional digits. Date keeps
 * milliseconds only (and the API server answers 400 to three digits), so the
 * microseconds come from the high-resolution clock.
 */
export class MicroTime extends Date {
  readonly #micros: number;

  /** @param epochMs milliseconds since the epoch, with a fraction */
  constructor(epochMs = performance.timeOrigin + performance.now()) {
    super(Math.floor(epochMs));
    this.#micros = Math.floor((epochMs - Math.floor(epochMs)) * 1000);
  }

  override toISOString(): string {
    return `${super.toISOString().slice(0, -1)}${String(this.#micros).padStart(3, "0")}Z`;
  }

  override toJSON(): string {
    return this.toISOString();
  }
}

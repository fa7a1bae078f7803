import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  claimedRecord,
  heldByOther,
  MicroTime,
  releasedRecord,
  sameRecord,
} from "./lease-record.ts";

const at = new MicroTime(1_700_000_000_123.456);

describe("lease records", () => {
  it("writes MicroTime with six fractional digits, the microseconds kept", () => {
    assert.equal(at.toISOString(), "2023-11-14T22:13:20.123456Z");
    assert.equal(JSON.stringify({ t: at }), '{"t":"2023-11-14T22:13:20.123456Z"}');
    assert.match(new MicroTime().toISOString(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it("counts another holder's lease from when this candidate saw it, not from its timestamps", () => {
    // The remote renewTime is long past; what counts is the local observation.
    const spec = { holderIdentity: "a", leaseDurationSeconds: 15, renewTime: new MicroTime(0) };
    const seen = { spec, observedAtMs: 1000 };
    assert.equal(heldByOther(seen, "b", 1000 + 14_999), true);
    assert.equal(heldByOther(seen, "b", 1000 + 15_000), false);
    assert.equal(heldByOther(seen, "a", 1000), false, "one's own lease is never held by another");
    assert.equal(
      heldByOther({ spec: { ...spec, holderIdentity: "" }, observedAtMs: 1000 }, "b", 1000),
      false,
    );
  });

  it("keeps the acquire time and transitions on renewal and counts a change of holder", () => {
    const first = claimedRecord(undefined, "a", 15, at);
    assert.deepEqual(first, {
      holderIdentity: "a",
      leaseDurationSeconds: 15,
      acquireTime: at,
      renewTime: at,
      leaseTransitions: 0,
    });
    const later = new MicroTime(1_700_000_002_000);
    const renewed = claimedRecord(first, "a", 15, later);
    assert.equal(renewed.acquireTime, at);
    assert.equal(renewed.renewTime, later);
    assert.equal(renewed.leaseTransitions, 0);
    const taken = claimedRecord(renewed, "b", 15, later);
    assert.equal(taken.acquireTime, later);
    assert.equal(taken.leaseTransitions, 1);
    // Taking a released lease is not a transition away from anyone.
    const released = releasedRecord(taken, later);
    assert.equal(released.holderIdentity, "");
    assert.equal(claimedRecord(released, "c", 15, later).leaseTransitions, 1);
  });

  it("tells a renewal from the same record read twice", () => {
    const a = claimedRecord(undefined, "a", 15, at);
    assert.equal(sameRecord(a, { ...a }), true);
    assert.equal(sameRecord(a, claimedRecord(a, "a", 15, new MicroTime(1_800_000_000_000))), false);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LogDeduplicator, parseTimestampNs } from "./log-timestamps.ts";

describe("LogDeduplicator", () => {
  it("passes each line once when a log is read again from an earlier second", () => {
    const d = new LogDeduplicator();
    const first = [
      "2026-01-01T00:00:01.5Z a",
      "2026-01-01T00:00:02.000000001Z b",
      "2026-01-01T00:00:02.000000001Z c",
    ];
    assert.deepEqual(
      first.map((l) => d.accept(l)),
      ["a", "b", "c"],
    );
    assert.equal(d.sinceTime, "2026-01-01T00:00:02Z");
    d.newRead();
    const again = [
      "2026-01-01T00:00:02.000000001Z b",
      "2026-01-01T00:00:02.000000001Z c",
      "2026-01-01T00:00:02.000000001Z d",
      "2026-01-01T00:00:03Z e",
    ];
    assert.deepEqual(
      again.map((l) => d.accept(l)),
      [undefined, undefined, "d", "e"],
    );
  });

  it("compares times by value, not by text, whatever their fractional digits", () => {
    assert.ok(
      (parseTimestampNs("2026-01-01T00:00:01.1Z") ?? 0n) >
        (parseTimestampNs("2026-01-01T00:00:01.09Z") ?? 0n),
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseExpired, type RetentionCandidate } from "./retention.ts";

const hour = 3_600_000;
const now = 1_000 * hour;
const build = (
  key: string,
  agoHours: number,
  bytes: number,
  { writing = false, delivered = true } = {},
): RetentionCandidate => ({
  key,
  writing,
  delivered,
  lastWriteMs: now - agoHours * hour,
  bytes,
});

describe("retention policy", () => {
  it("removes builds past the age limit and nothing else", () => {
    const expired = chooseExpired(
      [build("a", 200, 10), build("b", 100, 10), build("c", 1, 10)],
      { maxAgeMs: 168 * hour, maxBytes: 1_000 },
      now,
    );
    assert.deepEqual(expired, [{ key: "a", reason: "age" }]);
  });

  it("over the size limit, removes the builds that ended first until under it", () => {
    const expired = chooseExpired(
      [build("newest", 1, 40), build("oldest", 30, 40), build("middle", 10, 40)],
      { maxAgeMs: 168 * hour, maxBytes: 50 },
      now,
    );
    assert.deepEqual(expired, [
      { key: "oldest", reason: "size" },
      { key: "middle", reason: "size" },
    ]);
  });

  it("never removes a build that is still being written, however old or large", () => {
    const expired = chooseExpired(
      [build("running", 500, 1_000, { writing: true }), build("done", 2, 10)],
      { maxAgeMs: 168 * hour, maxBytes: 100 },
      now,
    );
    assert.deepEqual(expired, [{ key: "done", reason: "size" }]);
  });

  it("keeps a build past its age that Otto-handler has not acknowledged in full, until it has", () => {
    const policy = { maxAgeMs: 168 * hour, maxBytes: 1_000 };
    const waiting = build("waiting", 500, 10, { delivered: false });
    assert.deepEqual(chooseExpired([waiting, build("done", 200, 10)], policy, now), [
      { key: "done", reason: "age" },
    ]);
    assert.deepEqual(chooseExpired([{ ...waiting, delivered: true }], policy, now), [
      { key: "waiting", reason: "age" },
    ]);
  });

  it("over the size limit, removes delivered builds first and undelivered ones only if that is not enough", () => {
    const builds = [
      build("undelivered-oldest", 30, 40, { delivered: false }),
      build("delivered-newer", 10, 40),
      build("undelivered-newest", 1, 40, { delivered: false }),
    ];
    const policy = { maxAgeMs: 168 * hour, maxBytes: 80 };
    assert.deepEqual(chooseExpired(builds, policy, now), [
      { key: "delivered-newer", reason: "size" },
    ]);
    assert.deepEqual(chooseExpired(builds, { ...policy, maxBytes: 40 }, now), [
      { key: "delivered-newer", reason: "size" },
      { key: "undelivered-oldest", reason: "size" },
    ]);
  });
});

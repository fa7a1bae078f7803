import assert from "node:assert/strict";
import { it } from "node:test";
import { InvalidEntryError, rfc3339, toRecords } from "./records.ts";

it("writes timestamps in protobuf's JSON form, with 0, 3, 6 or 9 fraction digits", () => {
  assert.equal(rfc3339({ seconds: "0", nanos: 0 }, "t"), "1970-01-01T00:00:00Z");
  assert.equal(rfc3339({ seconds: "1", nanos: 500_000_000 }, "t"), "1970-01-01T00:00:01.500Z");
  assert.equal(rfc3339({ seconds: "1", nanos: 1000 }, "t"), "1970-01-01T00:00:01.000001Z");
  assert.equal(rfc3339({ seconds: "1", nanos: 7 }, "t"), "1970-01-01T00:00:01.000000007Z");
  assert.equal(rfc3339({ seconds: "-62135596800", nanos: 0 }, "t"), "0001-01-01T00:00:00Z");
  assert.equal(rfc3339(null, "t"), null);
});

it("rejects a timestamp outside 0001-01-01 to 9999-12-31", () => {
  assert.throws(() => rfc3339({ seconds: "253402300800", nanos: 0 }, "entries[0].log.timestamp"), {
    name: "Error",
    message: /^entries\[0\]\.log\.timestamp: /,
  });
});

it("reads a status event without progress as progress's defaults", () => {
  const [record] = toRecords({ entries: [{ status: { pipelineId: "p1", sequence: "3" } }] });
  assert.deepEqual(record, {
    kind: "status",
    pipelineId: "p1",
    sequence: 3,
    status: "PIPELINE_STATUS_UNSPECIFIED",
    stageId: "",
    message: "",
    attempt: 0,
    timestamp: null,
    workerIds: [],
    source: "",
  });
});

it("rejects a sequence above 2^53 - 1, which a JSON number cannot hold exactly", () => {
  assert.throws(
    () => toRecords({ entries: [{ log: { workerId: "w1", sequence: "9007199254740993" } }] }),
    (error: unknown) =>
      error instanceof InvalidEntryError && error.field === "entries[0].log.sequence",
  );
});

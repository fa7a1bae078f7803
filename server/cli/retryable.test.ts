import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { parseDurationMs } from "./duration.ts";
import { retryableReason } from "./retryable.ts";

const nodeError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe("retryableReason", () => {
  it("retries UNAVAILABLE and connections refused or cut, whatever code they surface as", () => {
    assert.equal(
      retryableReason(new ConnectError("the server is shutting down", Code.Unavailable)),
      "the server is shutting down",
    );
    const reset = new ConnectError("aborted", Code.Aborted);
    reset.cause = nodeError("ECONNRESET", "socket hang up");
    assert.equal(retryableReason(reset), "socket hang up: ECONNRESET");
    assert.equal(
      retryableReason(nodeError("ECONNREFUSED", "connect ECONNREFUSED")),
      "connect ECONNREFUSED",
    );
    assert.ok(retryableReason(new ConnectError("socket hang up", Code.Internal)) !== undefined);
    assert.ok(
      retryableReason(
        new ConnectError("http/2 stream closed with error code CANCEL", Code.Canceled),
      ) !== undefined,
    );
  });

  it("does not retry the server's own answers, or errors that are no connection's", () => {
    for (const code of [
      Code.NotFound,
      Code.PermissionDenied,
      Code.InvalidArgument,
      Code.OutOfRange,
    ]) {
      // Even with words a cut connection would use: the code is the server's.
      assert.equal(retryableReason(new ConnectError("stream closed", code)), undefined);
    }
    assert.equal(retryableReason(new ConnectError("internal error", Code.Internal)), undefined);
    assert.equal(retryableReason(new Error("pipeline.yaml: bad YAML")), undefined);
  });
});

describe("parseDurationMs", () => {
  it("reads 0s, 90s, 5m, 2h and 7d, and nothing else", () => {
    assert.deepEqual(
      ["0s", "90s", "5m", "2h", "7d"].map(parseDurationMs),
      [0, 90_000, 300_000, 7_200_000, 604_800_000],
    );
    for (const text of ["", "5", "5 m", "-1m", "1.5h", "5min"])
      assert.equal(parseDurationMs(text), undefined);
  });
});

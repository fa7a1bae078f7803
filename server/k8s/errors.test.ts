import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { ApiException } from "@kubernetes/client-node";
import { kubernetesErrorToConnect } from "./errors.ts";

describe("kubernetesErrorToConnect", () => {
  const cases: [number, Code][] = [
    [404, Code.NotFound],
    [409, Code.AlreadyExists],
    [422, Code.InvalidArgument],
    [403, Code.PermissionDenied],
    [429, Code.Unavailable],
    [500, Code.Unavailable],
    [503, Code.Unavailable],
  ];
  for (const [status, code] of cases) {
    it(`maps HTTP ${status} to ${Code[code]}, keeping the server's message and the cause`, () => {
      const cause = new ApiException(
        status,
        "HTTP error",
        JSON.stringify({ message: `server says ${status}` }),
        {},
      );
      const error = kubernetesErrorToConnect(cause, "creating job x");
      assert.equal(error.code, code);
      assert.equal(error.rawMessage, `creating job x: server says ${status}`);
      assert.equal(error.cause, cause);
    });
  }

  it("maps a network failure (no status) to Unavailable", () => {
    const error = kubernetesErrorToConnect(new TypeError("fetch failed"), "listing jobs");
    assert.equal(error.code, Code.Unavailable);
    assert.match(error.rawMessage, /listing jobs: fetch failed/);
  });
});

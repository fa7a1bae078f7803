import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiException } from "@kubernetes/client-node";
import { classifyKubernetesError, type KubernetesErrorClass } from "./errors.ts";

describe("classifyKubernetesError", () => {
  const cases: [number, KubernetesErrorClass, string][] = [
    [404, "not-found", "not-found"],
    [409, "conflict", "already-exists"],
    [400, "invalid", "invalid"],
    [422, "invalid", "invalid"],
    [401, "forbidden", "precondition"],
    [403, "forbidden", "precondition"],
    [429, "transient", "unavailable"],
    [500, "transient", "unavailable"],
    [503, "transient", "unavailable"],
  ];
  for (const [status, errorClass, kind] of cases) {
    it(`classifies HTTP ${status} as ${errorClass}, keeping the server's message and the cause`, () => {
      const cause = new ApiException(
        status,
        "HTTP error",
        JSON.stringify({ message: `server says ${status}` }),
        {},
      );
      const error = classifyKubernetesError(cause, "creating job x");
      assert.equal(error.class, errorClass);
      assert.equal(error.kind, kind);
      assert.equal(error.status, status);
      assert.equal(error.message, `creating job x: server says ${status}`);
      assert.equal(error.cause, cause);
    });
  }

  it("classifies a network failure (no status) as transient", () => {
    const error = classifyKubernetesError(new TypeError("fetch failed"), "listing jobs");
    assert.equal(error.class, "transient");
    assert.match(error.message, /listing jobs: fetch failed/);
  });

  it("classifies an error once: an already classified one comes back as it is", () => {
    const first = classifyKubernetesError(new TypeError("fetch failed"), "listing jobs");
    assert.equal(classifyKubernetesError(first, "again"), first);
  });
});

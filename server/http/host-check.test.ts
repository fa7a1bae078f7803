import assert from "node:assert/strict";
import { it } from "node:test";
import { checkExposure, isLoopback } from "./exposure.ts";
import { hostName } from "./host-check.ts";

it("reads the name of a Host value", () => {
  assert.equal(hostName("localhost:9090"), "localhost");
  assert.equal(hostName("LocalHost"), "localhost");
  assert.equal(hostName("[::1]:9090"), "::1");
  assert.equal(hostName("[::1]"), "::1");
  assert.equal(hostName("::1"), "::1");
  assert.equal(hostName("example.test.:80"), "example.test");
});

it("tells loopback addresses from others", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"])
    assert.ok(isLoopback(host), host);
  for (const host of ["0.0.0.0", "::", "10.0.0.1", "example.test"])
    assert.ok(!isLoopback(host), host);
  assert.deepEqual(
    checkExposure({ host: "127.0.0.1", auth: "none", allowUnauthenticated: false }),
    {
      exposedWithoutAuth: false,
    },
  );
  assert.throws(
    () => checkExposure({ host: "::", auth: "none", allowUnauthenticated: false }),
    /OTTOSCALER_HOST/,
  );
  assert.deepEqual(checkExposure({ host: "::", auth: "tokens", allowUnauthenticated: false }), {
    exposedWithoutAuth: false,
  });
  assert.deepEqual(checkExposure({ host: "::", auth: "none", allowUnauthenticated: true }), {
    exposedWithoutAuth: true,
  });
});

import assert from "node:assert/strict";
import { it } from "node:test";
import { parseQuantity } from "../util/quantity.ts";
import { imageAllowed, parseImageReference } from "./image-reference.ts";

it("reads image references as Docker does", () => {
  assert.deepEqual(parseImageReference("busybox"), { repository: "docker.io/library/busybox" });
  assert.deepEqual(parseImageReference("busybox:1.36"), {
    repository: "docker.io/library/busybox",
    tag: "1.36",
  });
  assert.deepEqual(parseImageReference("team/app:v2"), {
    repository: "docker.io/team/app",
    tag: "v2",
  });
  assert.deepEqual(parseImageReference("registry.example.com:5000/a/b-c_d.e:latest"), {
    repository: "registry.example.com:5000/a/b-c_d.e",
    tag: "latest",
  });
  assert.deepEqual(parseImageReference("localhost/x"), { repository: "localhost/x" });
  const digest = `sha256:${"a".repeat(64)}`;
  assert.deepEqual(parseImageReference(`ghcr.io/o/r@${digest}`), {
    repository: "ghcr.io/o/r",
    digest,
  });
});

it("refuses what is not an image reference", () => {
  for (const text of [
    "alpine; rm -rf /",
    "Alpine",
    "a b",
    "a:",
    ":tag",
    "a//b",
    "$(id)",
    "a@sha256:12",
    `${"a".repeat(256)}`,
  ]) {
    assert.equal(typeof parseImageReference(text), "string", text);
  }
});

it("allows repositories and prefixes/*, or anything with no list", () => {
  assert.ok(imageAllowed("evil.test/x", []));
  const list = ["docker.io/library/*", "registry.example.com/team/app"];
  assert.ok(imageAllowed("docker.io/library/busybox", list));
  assert.ok(imageAllowed("registry.example.com/team/app", list));
  assert.ok(!imageAllowed("registry.example.com/team/app2", list));
  assert.ok(!imageAllowed("docker.io/evil/busybox", list));
});

it("reads Kubernetes quantities", () => {
  assert.equal(parseQuantity("500m"), 0.5);
  assert.equal(parseQuantity("2"), 2);
  assert.equal(parseQuantity("256Mi"), 256 * 2 ** 20);
  assert.equal(parseQuantity("1e3"), 1000);
  assert.equal(parseQuantity("1G"), 1e9);
  assert.equal(parseQuantity("lots"), undefined);
});

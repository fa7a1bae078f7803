import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { kubernetesNameOf, parseWorkerId, pipelineWorkerId, taskWorkerId } from "./worker-id.ts";

describe("worker ids", () => {
  it("parse back to what built them, for pipeline and task workers", () => {
    assert.equal(pipelineWorkerId("build-42", "unit-test", 2, 1), "build-42.unit-test.a2.w1");
    assert.deepEqual(parseWorkerId("build-42.unit-test.a2.w1"), {
      kind: "pipeline",
      pipelineId: "build-42",
      stageId: "unit-test",
      attempt: 2,
      index: 1,
    });
    assert.equal(taskWorkerId("farm", 12), "farm.w12");
    assert.deepEqual(parseWorkerId("farm.w12"), { kind: "task", taskId: "farm", index: 12 });
  });

  it("stay unambiguous when stage ids hold dots, brackets, = and commas", () => {
    for (const stageId of ["test[node=20.1,os=alpine]", "a.w1", "x.a1.w0", "w0", "a1.w2.a3"]) {
      const id = pipelineWorkerId("p", stageId, 3, 7);
      assert.deepEqual(
        parseWorkerId(id),
        { kind: "pipeline", pipelineId: "p", stageId, attempt: 3, index: 7 },
        id,
      );
    }
  });

  it("are not ours without an owner, an index or an attempt", () => {
    for (const id of ["", "farm", ".w1", "farm.w", "farm.w01", "p.s.a0.w1", "p.s.w1", "p..a1"]) {
      assert.equal(parseWorkerId(id), undefined, id);
    }
  });
});

describe("kubernetesNameOf", () => {
  const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

  it("reads like the worker id and is a DNS label within the pod-label limit", () => {
    const name = kubernetesNameOf("build-42.unit-test.a2.w1");
    assert.match(name, /^build-42-unit-test-a2-w1-[0-9a-f]{10}$/);
    const long = kubernetesNameOf(`${"p".repeat(40)}.${"s".repeat(30)}.a1.w0`);
    assert.ok(long.length <= 52, long);
    for (const n of [name, long, kubernetesNameOf("p.Test[node=20.1,os=alpine].a1.w0")]) {
      assert.match(n, dnsLabel);
    }
  });

  it("gives ids that read alike different names", () => {
    const alike = [
      "p.s-x.a1.w0",
      "p-s.x.a1.w0",
      "p-s-a1.w0",
      "p.s.a1.w0",
      "p.S.a1.w0",
      "p.test[os=a].a1.w0",
      "p.test-os-a.a1.w0",
      `${"p".repeat(40)}.${"s".repeat(30)}.a1.w0`,
      `${"p".repeat(40)}.${"s".repeat(30)}.a1.w1`,
    ];
    const names = new Set(alike.map(kubernetesNameOf));
    assert.equal(names.size, alike.length);
  });
});

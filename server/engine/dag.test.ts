import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findCycle, topologicalOrder, upstreamOf } from "./dag.ts";

describe("findCycle", () => {
  it("finds no cycle in a diamond", () => {
    assert.equal(
      findCycle([
        { id: "a", dependsOn: [] },
        { id: "b", dependsOn: ["a"] },
        { id: "c", dependsOn: ["a"] },
        { id: "d", dependsOn: ["b", "c"] },
      ]),
      undefined,
    );
  });

  it("reports the path of a cycle", () => {
    assert.deepEqual(
      findCycle([
        { id: "a", dependsOn: [] },
        { id: "b", dependsOn: ["a", "d"] },
        { id: "c", dependsOn: ["b"] },
        { id: "d", dependsOn: ["c"] },
      ]),
      ["b", "d", "c", "b"],
    );
  });

  it("reports a stage that depends on itself", () => {
    assert.deepEqual(findCycle([{ id: "a", dependsOn: ["a"] }]), ["a", "a"]);
  });

  it("handles a very long chain without overflowing the stack", () => {
    const nodes = Array.from({ length: 50_000 }, (_, i) => ({
      id: `s${i}`,
      dependsOn: i === 0 ? [] : [`s${i - 1}`],
    }));
    assert.equal(findCycle(nodes), undefined);
  });
});

describe("upstreamOf and topologicalOrder", () => {
  const nodes = [
    { id: "d", dependsOn: ["b", "c"] },
    { id: "b", dependsOn: ["a"] },
    { id: "c", dependsOn: ["a"] },
    { id: "a", dependsOn: [] },
    { id: "e", dependsOn: [] },
  ];
  it("finds every stage a stage depends on, directly or not", () => {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    assert.deepEqual([...upstreamOf("d", byId)].sort(), ["a", "b", "c"]);
    assert.deepEqual([...upstreamOf("a", byId)], []);
  });
  it("orders each stage after its dependencies, a 10,000-stage chain too", () => {
    const order = topologicalOrder(nodes);
    assert.deepEqual(order, ["a", "e", "b", "c", "d"]);
    const chain = Array.from({ length: 10_000 }, (_, i) => ({
      id: `s${i}`,
      dependsOn: i === 0 ? [] : [`s${i - 1}`],
    }));
    assert.equal(topologicalOrder(chain.reverse()).at(-1), "s9999");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import { podState } from "./pod-state.ts";

function pod(status: NonNullable<V1Pod["status"]>): V1Pod {
  return { metadata: { name: "p" }, status };
}

describe("podState", () => {
  it("reads an exit code, and OOMKilled as the reason", () => {
    const exited = (exitCode: number, reason?: string) =>
      podState(
        pod({
          phase: "Failed",
          containerStatuses: [
            {
              name: "worker",
              image: "i",
              imageID: "",
              ready: false,
              restartCount: 0,
              state: { terminated: { exitCode, ...(reason && { reason }) } },
            },
          ],
        }),
      );
    assert.deepEqual(exited(3), { kind: "exited", exitCode: 3, reason: "exit code 3" });
    assert.deepEqual(exited(137, "OOMKilled"), {
      kind: "exited",
      exitCode: 137,
      reason: "OOMKilled",
    });
  });

  it("says why a pod is stuck: image pulls and unschedulable pods", () => {
    const waiting = podState(
      pod({
        phase: "Pending",
        containerStatuses: [
          {
            name: "worker",
            image: "i",
            imageID: "",
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: "ErrImagePull", message: "not found" } },
          },
        ],
      }),
    );
    assert.deepEqual(waiting, { kind: "pending", stuck: "ErrImagePull: not found" });
    const unschedulable = podState(
      pod({
        phase: "Pending",
        conditions: [
          { type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes" },
        ],
      }),
    );
    assert.deepEqual(unschedulable, { kind: "pending", stuck: "Unschedulable: 0/1 nodes" });
    assert.deepEqual(podState(pod({ phase: "Pending" })), { kind: "pending" });
  });

  it("reports an evicted pod as failed with the eviction's reason", () => {
    assert.deepEqual(
      podState(pod({ phase: "Failed", reason: "Evicted", message: "low on memory" })),
      {
        kind: "failed",
        reason: "Evicted: low on memory",
      },
    );
  });
});

import type { V1Pod } from "@kubernetes/client-node";
import { workerContainer } from "./job-spec.ts";

export type PodState =
  | { kind: "pending"; stuck?: string }
  | { kind: "running" }
  | { kind: "exited"; exitCode: number; reason: string }
  | { kind: "failed"; reason: string };

/** Waiting reasons that will not fix themselves soon. */
const stuckReasons = new Set([
  "ImagePullBackOff",
  "ErrImagePull",
  "ErrImageNeverPull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

/** What a worker pod's status says about the worker, in our terms. */
export function podState(pod: V1Pod): PodState {
  const status = pod.status ?? {};
  const container = status.containerStatuses?.find((c) => c.name === workerContainer);
  const terminated = container?.state?.terminated;
  if (terminated !== undefined) {
    const reason =
      terminated.reason === "OOMKilled" ? "OOMKilled" : `exit code ${terminated.exitCode}`;
    return { kind: "exited", exitCode: terminated.exitCode, reason };
  }
  if (status.phase === "Failed") {
    const why = [status.reason, status.message].filter(Boolean).join(": ");
    return { kind: "failed", reason: why || "pod failed" };
  }
  if (container?.state?.running !== undefined) return { kind: "running" };
  const waiting = container?.state?.waiting;
  if (waiting?.reason !== undefined && stuckReasons.has(waiting.reason)) {
    return { kind: "pending", stuck: [waiting.reason, waiting.message].filter(Boolean).join(": ") };
  }
  const unschedulable = status.conditions?.find(
    (c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable",
  );
  if (unschedulable !== undefined) {
    return {
      kind: "pending",
      stuck: ["Unschedulable", unschedulable.message].filter(Boolean).join(": "),
    };
  }
  return { kind: "pending" };
}

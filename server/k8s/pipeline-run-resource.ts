import type { V1ObjectMeta } from "@kubernetes/client-node";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type { RunRecord } from "../domain/run-record.ts";

/** The PipelineRun custom resource (manifests/base/crds/pipelineruns.yaml). */
export const pipelineRunResource = {
  group: "ottoscaler.io",
  version: "v1alpha1",
  plural: "pipelineruns",
  kind: "PipelineRun",
  apiVersion: "ottoscaler.io/v1alpha1",
} as const;

/** Held on a PipelineRun until its workers are stopped and its end is recorded. */
export const pipelineRunFinalizer = "ottoscaler.io/stop-workers";

export interface PipelineRunCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface PipelineRunAttemptStatus {
  attempt: number;
  workers: number;
  /** Worker indexes whose Job was made, as ranges: "0-9,12" (absent: none). */
  created?: string;
  succeeded: number;
  failed: number;
}

export interface PipelineRunStageStatus {
  id: string;
  status: string;
  attempt: number;
  message?: string;
  attempts: PipelineRunAttemptStatus[];
}

export type PipelineRunPhase =
  | "QUEUED"
  | "RUNNING"
  | "SUCCEEDED"
  | "FAILED"
  | "CANCELLED"
  | "INVALID";

export interface PipelineRunStatus {
  pipelineId?: string;
  phase?: PipelineRunPhase;
  progress?: string;
  completedStages?: number;
  totalStages?: number;
  sequence?: number;
  /** How the main stages ended, once they all have (the finally stages then run). */
  mainOutcome?: { status: string; message?: string };
  observedGeneration?: number;
  conditions?: PipelineRunCondition[];
  stages?: PipelineRunStageStatus[];
}

export interface PipelineRunObject {
  apiVersion: string;
  kind: string;
  /** Custom objects come as plain JSON: its timestamps are strings, whatever the type says. */
  metadata: V1ObjectMeta & { name: string };
  spec: { pipeline: unknown; traceparent?: string; cancel?: { reason?: string } };
  status?: PipelineRunStatus;
}

const finalPhases: ReadonlySet<string> = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "INVALID"]);

export function isFinalPhase(phase: string | undefined): boolean {
  return phase !== undefined && finalPhases.has(phase);
}

/** "0-3,5,7-8" for [0,1,2,3,5,7,8]: a thousand made workers take a few bytes. */
export function formatIndexRanges(indexes: readonly number[]): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    const first = sorted[i] as number;
    let last = first;
    while (sorted[i + 1] === last + 1) last = sorted[++i] as number;
    parts.push(first === last ? String(first) : `${first}-${last}`);
    i++;
  }
  return parts.join(",");
}

export function parseIndexRanges(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(",")) {
    if (part === "") continue;
    const [a, b] = part.split("-");
    const first = Number(a);
    const last = b === undefined ? first : Number(b);
    if (!Number.isInteger(first) || !Number.isInteger(last) || last < first) continue;
    for (let i = first; i <= last; i++) out.push(i);
  }
  return out;
}

function statusName(status: PipelineStatus): string {
  return status === PipelineStatus.UNSPECIFIED ? "PENDING" : (PipelineStatus[status] ?? "PENDING");
}

function statusFromName(name: string | undefined): PipelineStatus {
  if (name === undefined || name === "PENDING") return PipelineStatus.UNSPECIFIED;
  const value = (PipelineStatus as unknown as Record<string, number>)[name];
  return typeof value === "number" ? value : PipelineStatus.UNSPECIFIED;
}

/** The status a run's record becomes: counts and index ranges, never a record per worker. */
export function statusOfRecord(record: RunRecord, generation?: number): PipelineRunStatus {
  const phase = statusName(record.status);
  return {
    pipelineId: record.pipelineId,
    phase: (phase === "PENDING" || phase === "RETRYING" || phase === "SKIPPED"
      ? "QUEUED"
      : phase) as PipelineRunPhase,
    progress: `${record.completedStages}/${record.totalStages}`,
    completedStages: record.completedStages,
    totalStages: record.totalStages,
    sequence: record.sequence,
    ...(record.mainOutcome !== undefined && {
      mainOutcome: {
        status: statusName(record.mainOutcome.status),
        message: record.mainOutcome.message,
      },
    }),
    ...(generation !== undefined && { observedGeneration: generation }),
    conditions: [],
    stages: record.stages.map((stage) => ({
      id: stage.id,
      status: statusName(stage.status),
      attempt: stage.attempt,
      ...(stage.message !== "" && { message: stage.message }),
      attempts: stage.attempts.map((a) => ({
        attempt: a.attempt,
        workers: a.workers,
        ...(a.created.length > 0 && { created: formatIndexRanges(a.created) }),
        succeeded: a.succeeded,
        failed: a.failed,
      })),
    })),
  };
}

/** A run's record read back from its resource's status (for a controller continuing it). */
export function recordOfStatus(status: PipelineRunStatus | undefined): RunRecord | undefined {
  if (status?.pipelineId === undefined) return undefined;
  return {
    pipelineId: status.pipelineId,
    status: statusFromName(status.phase === "INVALID" ? "FAILED" : status.phase),
    completedStages: status.completedStages ?? 0,
    totalStages: status.totalStages ?? 0,
    sequence: status.sequence ?? 0,
    ...(status.mainOutcome !== undefined && {
      mainOutcome: {
        status: statusFromName(status.mainOutcome.status),
        message: status.mainOutcome.message ?? "",
      },
    }),
    stages: (status.stages ?? []).map((stage) => ({
      id: stage.id,
      status: statusFromName(stage.status),
      attempt: stage.attempt ?? 0,
      message: stage.message ?? "",
      attempts: (stage.attempts ?? []).map((a) => ({
        attempt: a.attempt,
        workers: a.workers,
        created: parseIndexRanges(a.created ?? ""),
        succeeded: a.succeeded ?? 0,
        failed: a.failed ?? 0,
      })),
    })),
  };
}

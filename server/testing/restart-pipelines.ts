import assert from "node:assert/strict";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { BuildLogEntry } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import type { PipelineRequestSchema, StageSchema } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { kubernetesNameOf } from "../domain/worker-id.ts";

// Pipelines for the restart tests: three stages whose middle one runs long enough to outlive a
// controller, and what to expect of them.

/** `n` numbered lines, one every `pause` seconds, then exit with `code`. */
export const counting = (n: number, pause: number, code = 0) =>
  `for i in $(seq 1 ${n}); do echo "line $i of $OTTOSCALER_WORKER_INDEX"; sleep ${pause}; done; exit ${code}`;

export function pipeline(
  pipelineId: string,
  middle: MessageInitShape<typeof StageSchema>,
): MessageInitShape<typeof PipelineRequestSchema> {
  return {
    pipelineId,
    name: pipelineId,
    stages: [
      { id: "first", image: "busybox", command: ["echo first"] },
      { ...middle, id: "middle", dependsOn: ["first"] },
      { id: "last", image: "busybox", dependsOn: ["middle"], command: ["echo last"] },
    ],
  };
}

/** The Job names of each worker of these stage attempts ("stage/attempt/workers"). */
export function jobsOf(pipelineId: string, attempts: [string, number, number][]): string[] {
  return attempts.flatMap(([stage, attempt, workers]) =>
    Array.from({ length: workers }, (_, i) =>
      kubernetesNameOf(`${pipelineId}.${stage}.a${attempt}.w${i}`),
    ),
  );
}

/** Each worker's lines (of the stage's attempt `attempt`), with their sequences checked 1..n. */
export function linesOf(
  entries: BuildLogEntry[],
  stageId: string,
  attempt = 1,
): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const sequences = new Map<number, number[]>();
  for (const e of entries) {
    if (e.stageId !== stageId || e.attempt !== attempt) continue;
    const index = Number(/\.w(\d+)$/.exec(e.entry?.workerId ?? "")?.[1]);
    out.set(index, [...(out.get(index) ?? []), e.entry?.line ?? ""]);
    sequences.set(index, [...(sequences.get(index) ?? []), Number(e.entry?.sequence)]);
  }
  for (const [index, seq] of sequences) {
    assert.deepEqual(
      seq,
      seq.map((_, i) => i + 1),
      `${stageId} w${index}: sequences`,
    );
  }
  return out;
}

export const numbered = (n: number, index: number) =>
  Array.from({ length: n }, (_, i) => `line ${i + 1} of ${index}`);

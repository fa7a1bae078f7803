import { createHash } from "node:crypto";

/**
 * Worker ids, built and parsed in one place. A pipeline worker is
 * `<pipeline>.<stage>.a<attempt>.w<index>`, a ScaleUp task worker
 * `<task>.w<index>`. Pipeline and task ids never contain a dot (they are DNS
 * labels), so the owner is everything before the first dot; a stage id may
 * contain dots, brackets, `=` and commas (matrix instances such as
 * `test[node=20.1,os=alpine]`), so the attempt and index are read from the end.
 */
export type WorkerRef =
  | { kind: "pipeline"; pipelineId: string; stageId: string; attempt: number; index: number }
  | { kind: "task"; taskId: string; index: number };

export function pipelineWorkerId(
  pipelineId: string,
  stageId: string,
  attempt: number,
  index: number,
): string {
  return `${pipelineId}.${stageId}.a${attempt}.w${index}`;
}

export function taskWorkerId(taskId: string, index: number): string {
  return `${taskId}.w${index}`;
}

const pipelineTail = /^(.+)\.a([1-9][0-9]*)\.w(0|[1-9][0-9]*)$/;
const taskTail = /^w(0|[1-9][0-9]*)$/;

/** What a worker id says of its owner, or undefined if it is not one of ours. */
export function parseWorkerId(workerId: string): WorkerRef | undefined {
  const dot = workerId.indexOf(".");
  if (dot <= 0) return undefined;
  const owner = workerId.slice(0, dot);
  const rest = workerId.slice(dot + 1);
  const task = taskTail.exec(rest);
  if (task !== null) return { kind: "task", taskId: owner, index: Number(task[1]) };
  const pipeline = pipelineTail.exec(rest);
  if (pipeline === null) return undefined;
  return {
    kind: "pipeline",
    pipelineId: owner,
    stageId: pipeline[1] as string,
    attempt: Number(pipeline[2]),
    index: Number(pipeline[3]),
  };
}

// The Job controller copies a Job's name into a pod label, whose values stop at 63.
const maxKubernetesName = 52;
const hashLength = 10;

/**
 * A Kubernetes object name (a DNS label) for a worker: readable (the id with
 * everything but lowercase letters, digits and dashes turned into dashes) and
 * unique: a hash of the exact id always ends it, since the readable part alone
 * can repeat (`p.s-x.a1.w0` and `p-s.x.a1.w0` read alike, and so do a task
 * `p-s-a1` and a pipeline `p` with a stage `s`).
 */
export function kubernetesNameOf(workerId: string): string {
  const hash = createHash("sha256").update(workerId).digest("hex").slice(0, hashLength);
  const readable = workerId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, maxKubernetesName - hashLength - 1)
    .replace(/^-+|-+$/g, "");
  return readable === "" ? `w-${hash}` : `${readable}-${hash}`;
}

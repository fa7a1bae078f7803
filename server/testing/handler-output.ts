import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import readline from "node:readline";

interface LogRecord {
  kind: "log";
  workerId: string;
  sequence: number;
  line: string;
}
interface StatusRecord {
  kind: "status";
  pipelineId: string;
  sequence: number;
  status: string;
  message: string;
}
interface WorkerRecord {
  kind: "worker";
  taskId: string;
  sequence: number;
  workerId: string;
  phase: string;
}

/** What the reference Otto-handler wrote to its --out file, grouped, in file order. */
export interface Delivered {
  /** Per worker: its sequences and lines, in the order they were stored. */
  logs: Map<string, { sequence: number; line: string }[]>;
  /** Per pipeline: its status events, in the order they were stored. */
  statuses: Map<string, { sequence: number; status: string; message: string }[]>;
  /** Per ScaleUp task: its workers' status changes, in the order they were stored. */
  workers: Map<string, { sequence: number; workerId: string; phase: string }[]>;
}

export async function readDelivered(file: string): Promise<Delivered> {
  const delivered: Delivered = { logs: new Map(), statuses: new Map(), workers: new Map() };
  const lines = readline.createInterface({ input: createReadStream(file) });
  for await (const text of lines) {
    const record = JSON.parse(text) as LogRecord | StatusRecord | WorkerRecord;
    if (record.kind === "worker") {
      const list = delivered.workers.get(record.taskId) ?? [];
      delivered.workers.set(record.taskId, list);
      list.push({ sequence: record.sequence, workerId: record.workerId, phase: record.phase });
    } else if (record.kind === "log") {
      const list = delivered.logs.get(record.workerId) ?? [];
      delivered.logs.set(record.workerId, list);
      list.push({ sequence: record.sequence, line: record.line });
    } else {
      const list = delivered.statuses.get(record.pipelineId) ?? [];
      delivered.statuses.set(record.pipelineId, list);
      list.push({ sequence: record.sequence, status: record.status, message: record.message });
    }
  }
  return delivered;
}

/**
 * Every worker's lines present exactly once after dedupe, and in order:
 * the distinct sequences, in the order they were first stored, are 1..count.
 */
export function assertWorkerLogsComplete(
  delivered: Delivered,
  expected: Map<string, { count: number; lineOf?: (sequence: number) => string }>,
): void {
  assert.deepEqual([...delivered.logs.keys()].sort(), [...expected.keys()].sort());
  for (const [workerId, { count, lineOf }] of expected) {
    const seen = new Set<number>();
    let next = 1;
    for (const { sequence, line } of delivered.logs.get(workerId) ?? []) {
      if (seen.has(sequence)) continue; // a duplicate: the receiver drops it
      seen.add(sequence);
      if (sequence !== next) {
        assert.fail(`${workerId}: sequence ${sequence} arrived where ${next} was due`);
      }
      if (lineOf !== undefined) assert.equal(line, lineOf(sequence), `${workerId} #${sequence}`);
      next++;
    }
    assert.equal(next - 1, count, `${workerId}: ${next - 1} of ${count} lines arrived`);
  }
}

/** A pipeline's status events present once each, in order 1..n; returns them. */
export function assertStatusesComplete(delivered: Delivered, pipelineId: string) {
  return distinctInOrder(delivered.statuses.get(pipelineId) ?? [], `${pipelineId}: status events`);
}

/** A task's worker events present once each, in order 1..n; returns them. */
export function assertWorkerEventsComplete(delivered: Delivered, taskId: string) {
  return distinctInOrder(delivered.workers.get(taskId) ?? [], `${taskId}: worker events`);
}

/** The first of each sequence (later ones are duplicates the receiver drops), checked to be 1..n. */
function distinctInOrder<T extends { sequence: number }>(events: T[], what: string): T[] {
  const distinct = events.filter(
    (event, i) => events.findIndex((e) => e.sequence === event.sequence) === i,
  );
  assert.deepEqual(
    distinct.map((e) => e.sequence),
    distinct.map((_, i) => i + 1),
    `${what} in order with no gap`,
  );
  return distinct;
}

import { createHash } from "node:crypto";

// The Job controller copies the Job's name into a pod label, whose values stop at 63.
const maxJobName = 52;

/**
 * A Job name that says pipeline, stage, attempt and worker (or task and
 * worker): the worker id with dots turned into dashes, shortened with a hash
 * when too long so it stays unique.
 */
export function jobNameFor(workerId: string): string {
  const plain = workerId.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  if (plain.length <= maxJobName) return plain;
  const hash = createHash("sha256").update(workerId).digest("hex").slice(0, 8);
  return `${plain.slice(0, maxJobName - 9).replace(/-+$/, "")}-${hash}`;
}

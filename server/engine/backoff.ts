import type { StageRetryPolicy } from "./pipeline-spec.ts";

/** Wait before `nextAttempt` (2 or more): the initial backoff, doubled each time, capped. */
export function retryDelayMs(policy: StageRetryPolicy, nextAttempt: number): number {
  const doubled = policy.initialBackoffMs * 2 ** Math.max(0, nextAttempt - 2);
  return Math.min(doubled, policy.maxBackoffMs);
}

import { backoffDelay } from "../util/backoff.ts";
import type { StageRetryPolicy } from "./pipeline-spec.ts";

/**
 * Wait before `nextAttempt` (2 or more): the initial backoff, doubled each time, capped.
 * Exact, without jitter: the user set these numbers and the RETRYING event names the wait.
 */
export function stageRetryDelayMs(policy: StageRetryPolicy, nextAttempt: number): number {
  return backoffDelay(
    { initialMs: policy.initialBackoffMs, maxMs: policy.maxBackoffMs, jitter: 0 },
    nextAttempt - 1,
  );
}

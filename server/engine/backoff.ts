import type { StageRetryPolicy } from "./pipeline-spec.ts";

/** Wait before `nextAttempt` (2 or more): the initial backoff, doubled each time, capped. */
export function retryDelayMs(policy: StageRetryPolicy, nextAttempt: number): number {
  const doubled = policy.initialBackoffMs * 2 ** Math.max(0, nextAttempt - 2);
  return Math.min(doubled, policy.maxBackoffMs);
}

/** Resolves after `ms`, or early (with false) when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", abort);
      resolve(true);
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", abort, { once: true });
  });
}

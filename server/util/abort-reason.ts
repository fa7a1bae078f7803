/**
 * Why a signal aborted, in words. Ottoscaler aborts with a string ("scaled
 * down", "timed out after 5s"); anything else gets the fallback.
 */
export function abortReason(signal: AbortSignal, fallback = "stopped"): string {
  return typeof signal.reason === "string" ? signal.reason : fallback;
}

/**
 * Wait before retry `failures` (1 or more): exponential from 100 ms, capped,
 * then jittered down by up to half, so many controllers coming back at once do not retry in step.
 */
export function retryDelay(failures: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, 100 * 2 ** Math.min(failures - 1, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}

// Shares six lines with second.ts: the duplicate check must report them.
export function first(n: number): number {
  let steps = 0;
  const doubled = n * 2;
  const shifted = doubled + 1;
  if (shifted > 10) return shifted;
  const halved = shifted / 2;
  const total = halved + doubled;
  const rest = total - shifted;
  steps += rest;
  return steps;
}

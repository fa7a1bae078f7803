export const label = "second";

export async function second(n: number): Promise<number> {
  await Promise.resolve();
  const doubled = n * 2;
  const shifted = doubled + 1;
  if (shifted > 10) return shifted;
  const halved = shifted / 2;
  throw new Error(`${label} ${halved}`);
}

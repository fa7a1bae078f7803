const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as 90s, 5m, 2h or 7d, in milliseconds; undefined when the text is not one. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (match === null) return undefined;
  return Number(match[1]) * (units[match[2] ?? "s"] ?? 1000);
}

/** The range a whole number must lie in. */
export interface Bounds {
  min: number;
  /** @default Number.MAX_SAFE_INTEGER */
  max?: number;
}

/**
 * The whole number `text` spells, or undefined when it spells none within the bounds. Blank text
 * spells none, though `Number` reads it as 0.
 */
export function wholeNumber(
  text: string,
  { min, max = Number.MAX_SAFE_INTEGER }: Bounds,
): number | undefined {
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
    return undefined;
  }
  return value;
}

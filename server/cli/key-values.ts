import { UsageError } from "./errors.ts";

/** KEY=VALUE arguments of a repeatable option (-e, -p) as a record; the last of a key counts. */
export function parseKeyValues(pairs: readonly string[], option: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`${option}: "${pair}" is not KEY=VALUE`);
    }
    values[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return values;
}

import { UsageError } from "./errors.ts";

/** The -w/--workers N of scale-up and scale-down: a whole number the API's int32 can carry. */
export function parseWorkerCount(text: string | undefined, command: string): number {
  if (text === undefined) {
    throw new UsageError(`${command} needs the number of workers: -w N`);
  }
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 2_147_483_647) {
    throw new UsageError(`-w/--workers: "${text}" is not a whole number of at least 1`);
  }
  return value;
}

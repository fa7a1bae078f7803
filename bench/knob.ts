import { wholeNumber } from "../server/util/whole-number.ts";

/** A benchmark size read from the environment. */
export interface Knob {
  env: string;
  default: number;
  min: number;
}

export type Env = Record<string, string | undefined>;

/** The knob's whole number (`10_000` reads as 10000), its default when unset or blank. */
export function knobValue(env: Env, knob: Knob): number {
  const text = env[knob.env];
  if (text === undefined || text.trim() === "") return knob.default;
  const value = wholeNumber(text.replaceAll("_", ""), knob);
  if (value === undefined) {
    throw new Error(`${knob.env}: "${text}" is not a whole number of at least ${knob.min}`);
  }
  return value;
}

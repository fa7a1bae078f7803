/** A pipeline parameter as validated: its type checked, its default a valid value. */
export interface ParamSpec {
  name: string;
  default?: string;
  type: ParamType;
  description: string;
}

export const paramTypes = ["string", "number", "boolean"] as const;
export type ParamType = (typeof paramTypes)[number];

export const paramNamePattern = /^[A-Za-z_][\w-]*$/;

const numberPattern = /^-?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?$/;

/** Why `value` is not a value of `type`, or undefined when it is. */
export function paramValueProblem(type: ParamType, value: string): string | undefined {
  if (type === "number" && !numberPattern.test(value)) return `"${value}" is not a number`;
  if (type === "boolean" && value !== "true" && value !== "false")
    return `"${value}" is not a boolean (true or false)`;
  return undefined;
}

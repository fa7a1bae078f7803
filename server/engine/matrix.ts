import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

/** One instance's values, keys in the order given (axes first, then keys only include adds). */
export type Combination = Record<string, string>;

export interface MatrixProblem {
  /** Below the matrix field: "" for the matrix itself, ".os[1]", ".exclude[0].os". */
  path: string;
  message: string;
}

const keyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
// No ",", "=", "[" or "]": an instance id (test[node=20,os=alpine]) says which values it has.
const valuePattern = /^[A-Za-z0-9._:/+@-]{1,64}$/;
const special = new Set(["include", "exclude"]);

function scalar(value: JsonValue): string | undefined {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : undefined;
}

function checkValue(problems: MatrixProblem[], path: string, value: JsonValue): string {
  const text = scalar(value);
  if (text === undefined) problems.push({ path, message: "must be a string, number or boolean" });
  else if (!valuePattern.test(text)) {
    problems.push({
      path,
      message: `${JSON.stringify(text)} must be 1 to 64 letters, digits and ._:/+@-`,
    });
  }
  return text ?? "";
}

/** The entries of include or exclude: objects of key and value. */
function entries(problems: MatrixProblem[], name: string, value: JsonValue | undefined) {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push({ path: `.${name}`, message: "must be a list of objects" });
    return [];
  }
  return value.map((item, i) => {
    const at = `.${name}[${i}]`;
    const out: Combination = {};
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      problems.push({ path: at, message: "must be an object of keys and values" });
      return out;
    }
    for (const [key, v] of Object.entries(item)) {
      if (!keyPattern.test(key))
        problems.push({ path: `${at}.${key}`, message: "is not a key: letters, digits and '_'" });
      out[key] = checkValue(problems, `${at}.${key}`, v);
    }
    return out;
  });
}

const matches = (combination: Combination, pattern: Combination) =>
  Object.entries(pattern).every(([k, v]) => combination[k] === v);

/**
 * A matrix's combinations, as GitHub Actions makes them: every combination of
 * the axes' values (the first axis outermost), less those an `exclude` entry
 * matches; then each `include` entry is added to every combination whose axis
 * values it does not change, or, if there is none, is a combination of its own.
 */
export function matrixCombinations(
  matrix: JsonObject,
  maxCombinations: number,
): { combinations: Combination[] } | { problems: MatrixProblem[] } {
  const problems: MatrixProblem[] = [];
  const axes: [string, string[]][] = [];
  for (const [key, value] of Object.entries(matrix)) {
    if (special.has(key)) continue;
    if (!keyPattern.test(key)) {
      problems.push({ path: `.${key}`, message: "is not a key: letters, digits and '_'" });
      continue;
    }
    if (!Array.isArray(value) || value.length === 0) {
      problems.push({ path: `.${key}`, message: "must be a list of values" });
      continue;
    }
    const values = value.map((v, i) => checkValue(problems, `.${key}[${i}]`, v));
    const twice = values.find((v, i) => values.indexOf(v) !== i);
    if (twice !== undefined)
      problems.push({ path: `.${key}`, message: `"${twice}" is listed twice` });
    axes.push([key, values]);
  }
  const include = entries(problems, "include", matrix.include);
  const exclude = entries(problems, "exclude", matrix.exclude);
  exclude.forEach((entry, i) => {
    for (const key of Object.keys(entry)) {
      if (!axes.some(([axis]) => axis === key))
        problems.push({ path: `.exclude[${i}].${key}`, message: "is not a key of the matrix" });
    }
  });
  const keys = new Set([...axes.map(([k]) => k), ...include.flatMap((e) => Object.keys(e))]);
  const upper = [...keys].map((k) => k.toUpperCase());
  const clash = [...keys].find((_, i) => upper.indexOf(upper[i] as string) !== i);
  if (clash !== undefined) {
    problems.push({
      path: `.${clash}`,
      message: `differs from another key only in case (both would be $OTTOSCALER_MATRIX_${clash.toUpperCase()})`,
    });
  }
  const product = axes.reduce((n, [, values]) => n * values.length, axes.length > 0 ? 1 : 0);
  if (product + include.length > maxCombinations) {
    problems.push({
      path: "",
      message: `${product + include.length} combinations is over the limit of ${maxCombinations} stages`,
    });
  }
  if (problems.length > 0) return { problems };
  let combinations: Combination[] = axes.length > 0 ? [{}] : [];
  for (const [key, values] of axes) {
    combinations = combinations.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  combinations = combinations.filter((c) => !exclude.some((e) => matches(c, e)));
  const axisKeys = new Set(axes.map(([key]) => key));
  // Only the axes' combinations take include entries; one made by an entry takes no other.
  const original = combinations.map((c) => ({ ...c }));
  const made: Combination[] = [];
  for (const entry of include) {
    const onAxes = Object.fromEntries(Object.entries(entry).filter(([k]) => axisKeys.has(k)));
    const targets = combinations.filter((_, i) => matches(original[i] as Combination, onAxes));
    if (targets.length === 0) made.push({ ...entry });
    for (const target of targets) Object.assign(target, entry);
  }
  combinations = [...combinations, ...made];
  if (combinations.length === 0) {
    return {
      problems: [{ path: "", message: "has no combination left (all excluded, none included)" }],
    };
  }
  return { combinations };
}

/** `test[node=20,os=alpine]`: the id of one instance of a matrix stage. */
export function instanceId(stageId: string, combination: Combination): string {
  const values = Object.entries(combination).map(([k, v]) => `${k}=${v}`);
  return `${stageId}[${values.join(",")}]`;
}

/** The variables an instance's workers get: OTTOSCALER_MATRIX_NODE=20, … */
export function matrixEnv(combination: Combination): Record<string, string> {
  return Object.fromEntries(
    Object.entries(combination).map(([k, v]) => [`OTTOSCALER_MATRIX_${k.toUpperCase()}`, v]),
  );
}

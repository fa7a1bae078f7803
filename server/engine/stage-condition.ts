/**
 * A stage's `when` condition: a small expression language of its own (no
 * eval), e.g. `failure()`, `stages.build.status == 'SUCCEEDED'`,
 * `params.version != '' && !cancelled()`.
 *
 *   or      := and ("||" and)*
 *   and     := unary ("&&" unary)*
 *   unary   := "!" unary | compare
 *   compare := primary (("==" | "!=") primary)?
 *   primary := "(" or ")" | 'string' | "string" | NAME "()" | NAME ("." NAME)*
 *
 * Strings are quoted with ' or " (the quote doubled inside stands for itself);
 * comparisons are of text (true and false compare as "true" and "false"); a
 * value alone is true unless it is empty or false (the word too: a boolean
 * parameter is true or false).
 */

export const conditionFunctions = ["success", "failure", "always", "cancelled"] as const;
export type ConditionFunction = (typeof conditionFunctions)[number];

export type Condition =
  | { kind: "call"; name: ConditionFunction }
  | { kind: "ref"; path: string }
  | { kind: "string"; value: string }
  | { kind: "not"; operand: Condition }
  | { kind: "and" | "or"; left: Condition; right: Condition }
  | { kind: "compare"; op: "==" | "!="; left: Condition; right: Condition };

type Token =
  | { kind: "op"; text: string; at: number }
  | { kind: "name"; text: string; at: number }
  | { kind: "string"; text: string; at: number }
  | { kind: "end"; at: number };

const namePattern = /[A-Za-z_][\w-]*/y;
const operators = ["==", "!=", "&&", "||", "!", "(", ")", "."];

export class ConditionError extends Error {}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      let text = "";
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw new ConditionError(`string at ${i + 1} is not closed`);
        if (source[j] === c) {
          if (source[j + 1] !== c) break;
          j++;
        }
        text += source[j];
        j++;
      }
      tokens.push({ kind: "string", text, at: i });
      i = j + 1;
      continue;
    }
    namePattern.lastIndex = i;
    const name = namePattern.exec(source);
    if (name !== null) {
      tokens.push({ kind: "name", text: name[0], at: i });
      i += name[0].length;
      continue;
    }
    const op = operators.find((o) => source.startsWith(o, i));
    if (op === undefined) throw new ConditionError(`unexpected "${c}" at ${i + 1}`);
    tokens.push({ kind: "op", text: op, at: i });
    i += op.length;
  }
  tokens.push({ kind: "end", at: source.length });
  return tokens;
}

/** Parses a condition; throws a ConditionError saying what is wrong and where (from 1). */
export function parseCondition(source: string): Condition {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos] as Token;
  const isOp = (text: string) => {
    const t = peek();
    return t.kind === "op" && t.text === text;
  };
  const describe = (t: Token) => (t.kind === "end" ? "the end" : `"${t.text}" at ${t.at + 1}`);
  const expect = (text: string) => {
    if (!isOp(text)) throw new ConditionError(`expected "${text}", got ${describe(peek())}`);
    pos++;
  };
  const primary = (): Condition => {
    const t = peek();
    if (t.kind === "op" && t.text === "(") {
      pos++;
      const inner = or();
      expect(")");
      return inner;
    }
    if (t.kind === "string") {
      pos++;
      return { kind: "string", value: t.text };
    }
    if (t.kind !== "name") throw new ConditionError(`expected a value, got ${describe(t)}`);
    pos++;
    if (isOp("(")) {
      pos++;
      expect(")");
      if (!(conditionFunctions as readonly string[]).includes(t.text)) {
        throw new ConditionError(
          `unknown function ${t.text}() (known: ${conditionFunctions.map((f) => `${f}()`).join(", ")})`,
        );
      }
      return { kind: "call", name: t.text as ConditionFunction };
    }
    let path = t.text;
    while (isOp(".")) {
      pos++;
      const next = peek();
      if (next.kind !== "name")
        throw new ConditionError(`expected a name after ".", got ${describe(next)}`);
      pos++;
      path += `.${next.text}`;
    }
    return { kind: "ref", path };
  };
  const compare = (): Condition => {
    const left = primary();
    for (const op of ["==", "!="] as const) {
      if (isOp(op)) {
        pos++;
        return { kind: "compare", op, left, right: primary() };
      }
    }
    return left;
  };
  const unary = (): Condition => {
    if (isOp("!")) {
      pos++;
      return { kind: "not", operand: unary() };
    }
    return compare();
  };
  const binary = (kind: "and" | "or", op: string, next: () => Condition) => (): Condition => {
    let left = next();
    while (isOp(op)) {
      pos++;
      left = { kind, left, right: next() };
    }
    return left;
  };
  const and = binary("and", "&&", unary);
  const or = binary("or", "||", and);
  const condition = or();
  if (peek().kind !== "end") throw new ConditionError(`unexpected ${describe(peek())}`);
  return condition;
}

/** Every node of a condition, for checks of its references. */
export function conditionNodes(condition: Condition): Condition[] {
  const out: Condition[] = [];
  const todo = [condition];
  for (let node = todo.pop(); node !== undefined; node = todo.pop()) {
    out.push(node);
    if (node.kind === "not") todo.push(node.operand);
    else if (node.kind === "and" || node.kind === "or" || node.kind === "compare")
      todo.push(node.right, node.left);
  }
  return out;
}

/** What a condition is evaluated against when its stage is due to start. */
export interface ConditionContext {
  functions: Record<ConditionFunction, boolean>;
  /** A reference's value; references are checked before a pipeline starts. */
  ref(path: string): string;
}

type Value = string | boolean;

function evaluate(node: Condition, ctx: ConditionContext): Value {
  switch (node.kind) {
    case "call":
      return ctx.functions[node.name];
    case "ref":
      return ctx.ref(node.path);
    case "string":
      return node.value;
    case "not":
      return !truthy(evaluate(node.operand, ctx));
    case "and":
      return truthy(evaluate(node.left, ctx)) && truthy(evaluate(node.right, ctx));
    case "or":
      return truthy(evaluate(node.left, ctx)) || truthy(evaluate(node.right, ctx));
    case "compare": {
      const same = String(evaluate(node.left, ctx)) === String(evaluate(node.right, ctx));
      return node.op === "==" ? same : !same;
    }
  }
}

function truthy(value: Value): boolean {
  return value !== false && value !== "" && value !== "false";
}

export function evaluateCondition(condition: Condition, ctx: ConditionContext): boolean {
  return truthy(evaluate(condition, ctx));
}

// Fails when a file under server/ imports across the layering (issue 9):
// http → api (→ auth, beside it) → engine → workers → executor → executor implementations → k8s,
// logs beside them, observability/config/util/domain/gen at the bottom; and when
// ConnectError is constructed outside the API edge.
// Usage: node hack/check-imports.ts [root]   (root defaults to the repository)
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import ts from "typescript";

/** Each file belongs to the first layer whose globs match its path (relative to root). */
const layers: readonly { name: string; globs: readonly string[] }[] = [
  // The composition root, tests and test helpers may import anything.
  { name: "root", globs: ["server/app.ts", "server/main.ts"] },
  { name: "tests", globs: ["server/**/*.test.ts", "server/deploy/**"] },
  { name: "testing", globs: ["server/testing/**"] },
  { name: "http", globs: ["server/http/**"] },
  { name: "resources", globs: ["server/resources/**"] },
  { name: "api", globs: ["server/api/**"] },
  { name: "auth", globs: ["server/auth/**"] },
  { name: "audit", globs: ["server/audit/**"] },
  { name: "engine", globs: ["server/engine/**"] },
  { name: "workers", globs: ["server/workers/**"] },
  { name: "executor", globs: ["server/executor/*.ts"] },
  { name: "executor-impl", globs: ["server/executor/*/**"] },
  { name: "k8s", globs: ["server/k8s/**"] },
  { name: "logs-store", globs: ["server/logs/store/**"] },
  { name: "logs", globs: ["server/logs/**"] },
  { name: "base", globs: ["server/{observability,config,util,domain}/**"] },
  { name: "gen", globs: ["gen/**"] },
  { name: "cli", globs: ["server/cli/**"] },
  { name: "dev", globs: ["server/dev/**"] },
];

const unchecked = new Set(["root", "tests", "testing"]);
const all = layers.map((l) => l.name);
const except = (...names: string[]) => all.filter((n) => !names.includes(n));
const controller = [
  "http",
  "api",
  "auth",
  "audit",
  "engine",
  "workers",
  "executor",
  "executor-impl",
  "k8s",
  "logs-store",
  "logs",
  "base",
];

interface Rule {
  from: readonly string[];
  /** Layers `from` must not import. */
  to: readonly string[];
  /** Files of those layers it may import all the same. */
  allow?: readonly string[];
  reason: string;
}

// Type-only imports count too: they are dependencies all the same.
const rules: readonly Rule[] = [
  {
    from: controller,
    to: ["root"],
    reason: "server/app.ts and server/main.ts wire the server; declare the interface you need",
  },
  {
    from: controller,
    to: ["tests", "testing", "dev", "cli"],
    reason: "the controller depends on no tests, dev tools or ottoctl",
  },
  { from: ["api"], to: ["http"], reason: "http sits above api" },
  {
    from: controller,
    to: ["resources"],
    reason:
      "PipelineRuns are a source of requests beside the API: only the composition root starts them",
  },
  {
    from: ["resources"],
    to: [
      "root",
      "tests",
      "testing",
      "dev",
      "cli",
      "http",
      "executor-impl",
      "logs-store",
      "auth",
      "audit",
    ],
    reason:
      "resources turn PipelineRuns into engine calls through the API's validation, nothing more",
  },
  {
    from: ["auth"],
    to: except("auth", "base", "gen"),
    reason: "authentication is a leaf the edge (http, api) calls: it knows callers, not the work",
  },
  {
    from: ["audit"],
    to: except("audit", "base", "gen"),
    reason: "the audit trail is a leaf the API edge writes: it records calls, not the work",
  },
  {
    from: ["engine", "workers", "executor", "executor-impl", "k8s", "logs-store", "logs", "base"],
    to: ["auth", "audit"],
    reason: "who is calling is decided at the edge; the layers below see only requests it let in",
  },
  { from: ["engine"], to: ["http", "api"], reason: "engine sits below api" },
  { from: ["workers"], to: ["http", "api", "engine"], reason: "workers sit below engine" },
  {
    from: ["executor"],
    to: except("executor", "base", "gen"),
    reason: "the executor interface is a contract that depends on no controller layer",
  },
  {
    from: ["executor-impl"],
    to: ["http", "api", "engine", "workers"],
    reason: "executors sit below workers",
  },
  {
    from: ["k8s"],
    to: except("k8s", "base", "gen"),
    reason: "k8s, the bottom of the chain, only wraps client-node",
  },
  {
    from: ["logs", "logs-store"],
    to: ["http", "api", "engine", "workers", "executor-impl", "k8s"],
    reason: "logs sit beside the layers that write and read them (the executor's types aside)",
  },
  {
    from: except("root", "tests", "testing", "executor-impl", "k8s", "resources"),
    to: ["executor-impl", "k8s"],
    reason: "the composition root picks the executor; others see server/executor/executor.ts",
  },
  {
    from: ["engine", "api"],
    to: ["logs-store"],
    reason: "stored builds are reached through interfaces the composition root fills",
  },
  {
    from: ["base"],
    to: except("base", "gen"),
    reason: "observability, config, util and domain are the bottom",
  },
  {
    from: ["cli"],
    to: except("cli", "gen"),
    // Dependency-free, so ottoctl reconnects with the one backoff policy and needs nothing else.
    allow: ["server/util/backoff.ts", "server/util/sleep.ts"],
    reason: "ottoctl is a client: it shares only gen/ (and the backoff policy)",
  },
  {
    from: ["dev"],
    to: except("dev", "gen", "base", "testing"),
    reason:
      "the reference Otto-handler uses gen/, util, config, observability and server/testing only",
  },
];

/** Layers that may construct ConnectError (tests and their helpers included). */
const connectErrorLayers = new Set(["api", "http", "tests", "testing"]);
const connectErrorReason =
  "only server/api and server/http make RPC errors; lower layers throw their own for the API to map";

function globRegExp(glob: string): RegExp {
  const source = glob.replace(/\*\*\/|\*\*|\*|\{([^}]*)\}|[.+?^$()|[\]\\]/g, (m, alts?: string) => {
    if (m === "**/") return "(?:.*/)?";
    if (m === "**") return ".*";
    if (m === "*") return "[^/]*";
    if (alts !== undefined) return `(?:${alts.split(",").join("|")})`;
    return `\\${m}`;
  });
  return new RegExp(`^${source}$`);
}

const matchers = layers.map((l) => ({ name: l.name, res: l.globs.map(globRegExp) }));

function layerOf(file: string): string | undefined {
  return matchers.find((m) => m.res.some((re) => re.test(file)))?.name;
}

interface Found {
  line: number;
  /** A relative module specifier, or undefined for a `new ConnectError`. */
  specifier?: string;
}

/** Every import, export-from, dynamic import(), import("…") type and `new ConnectError` of a file. */
function scan(fileName: string, text: string): Found[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: Found[] = [];
  // Local names of ConnectError, in case it is imported under another name.
  const connectError = new Set(["ConnectError"]);
  const lineOf = (node: ts.Node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const visit = (node: ts.Node): void => {
    let spec: ts.Node | undefined;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      spec = node.moduleSpecifier;
      const bindings = ts.isImportDeclaration(node) ? node.importClause?.namedBindings : undefined;
      for (const el of bindings && ts.isNamedImports(bindings) ? bindings.elements : []) {
        if ((el.propertyName ?? el.name).text === "ConnectError") connectError.add(el.name.text);
      }
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      spec = node.arguments[0];
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      spec = node.argument.literal;
    } else if (ts.isNewExpression(node)) {
      const callee = ts.isPropertyAccessExpression(node.expression)
        ? node.expression.name
        : node.expression;
      if (ts.isIdentifier(callee) && connectError.has(callee.text)) {
        found.push({ line: lineOf(node) });
      }
    }
    if (spec && ts.isStringLiteralLike(spec)) {
      found.push({ line: lineOf(spec), specifier: spec.text });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

async function check(root: string): Promise<string[]> {
  const problems: string[] = [];
  const entries = await readdir(path.join(root, "server"), {
    recursive: true,
    withFileTypes: true,
  });
  const files = entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
  for (const file of files) {
    const from = layerOf(file);
    if (from === undefined) {
      problems.push(`${file}: belongs to no layer — add it to the layers in hack/check-imports.ts`);
      continue;
    }
    for (const { line, specifier } of scan(file, await readFile(path.join(root, file), "utf8"))) {
      if (specifier === undefined) {
        if (!connectErrorLayers.has(from)) {
          problems.push(`${file}:${line}: constructs ConnectError — ${connectErrorReason}`);
        }
        continue;
      }
      if (unchecked.has(from) || !specifier.startsWith(".")) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      if (target.startsWith("../")) continue;
      const to = layerOf(target);
      if (to === undefined) {
        problems.push(`${file}:${line}: imports ${target} — which belongs to no layer`);
        continue;
      }
      const rule = rules.find(
        (r) => r.from.includes(from) && r.to.includes(to) && !r.allow?.includes(target),
      );
      if (rule) {
        problems.push(`${file}:${line}: imports ${target} — ${from} ↛ ${to}: ${rule.reason}`);
      }
    }
  }
  return problems;
}

const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, ".."));
const problems = await check(root);
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(`${problems.length} import rule violation(s)`);
  process.exit(1);
}
console.log("imports follow the layering rules");

import { readFile } from "node:fs/promises";
import { type DescMessage, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { type Document, isMap, isNode, isScalar, LineCounter, parseDocument } from "yaml";
import {
  type PipelineRequest,
  PipelineRequestSchema,
} from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { CliError } from "./errors.ts";

type PathSegment = string | number;

interface Problem {
  path: PathSegment[];
  message: string;
}

type Json = JsonValue | undefined;

function isObject(value: Json): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? "";
}

/** stages[1].retry.maxAttempts */
export function formatPath(path: readonly PathSegment[]): string {
  let text = "";
  for (const segment of path) {
    text += typeof segment === "number" ? `[${segment}]` : text === "" ? segment : `.${segment}`;
  }
  return text;
}

/** The decoding error's own words, without the message type the user never wrote. */
function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^cannot decode (field|message) [\w.]+ from JSON: /, "");
}

/**
 * Finds where in the value fromJson fails, walking messages and lists of messages, so the error
 * can name the field: decoding each field alone tells which one is wrong.
 */
function locate(schema: DescMessage, value: Json, path: PathSegment[]): Problem | undefined {
  if (!isObject(value)) {
    const got = Array.isArray(value) ? "a list" : JSON.stringify(value);
    return { path, message: `expected an object with fields, got ${got}` };
  }
  for (const [key, fieldValue] of Object.entries(value)) {
    const field = schema.fields.find((f) => f.jsonName === key || f.name === key);
    if (field === undefined) {
      const known = schema.fields.map((f) => f.jsonName).join(", ");
      return { path: [...path, key], message: `unknown field; known fields are ${known}` };
    }
    const here = [...path, field.jsonName];
    if (fieldValue === null) continue;
    if (field.fieldKind === "message") {
      const inner = locate(field.message, fieldValue, here);
      if (inner !== undefined) return inner;
      continue;
    }
    if (field.fieldKind === "list" && field.listKind === "message" && Array.isArray(fieldValue)) {
      for (const [i, item] of fieldValue.entries()) {
        const inner = locate(field.message, item, [...here, i]);
        if (inner !== undefined) return inner;
      }
      continue;
    }
    try {
      fromJson(schema, { [key]: fieldValue });
    } catch (err) {
      return { path: here, message: reason(err) };
    }
  }
  return undefined;
}

/** ` (stage "lint")` when the path goes through a stage that has an id. */
function stageHint(value: Json, path: readonly PathSegment[]): string {
  if (path[0] !== "stages" || typeof path[1] !== "number" || !isObject(value)) return "";
  const stages = value.stages;
  if (!Array.isArray(stages)) return "";
  const stage = stages[path[1]];
  if (!isObject(stage) || typeof stage.id !== "string" || stage.id === "") return "";
  return ` (stage "${stage.id}")`;
}

interface Positions {
  doc: Document;
  lines: LineCounter;
}

/** `:line:col` of the field's key (or the list item) the path names, or of its nearest parent. */
function position(positions: Positions | undefined, path: readonly PathSegment[]): string {
  if (positions === undefined) return "";
  const at = (offset: number | undefined): string | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = positions.lines.linePos(offset);
    return `:${line}:${col}`;
  };
  for (let n = path.length; n > 0; n--) {
    const last = path[n - 1];
    const parent = positions.doc.getIn(path.slice(0, n - 1), true);
    if (typeof last === "string" && isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
      const found = isNode(pair?.key) ? at(pair.key.range?.[0]) : undefined;
      if (found !== undefined) return found;
    }
    const node = positions.doc.getIn(path.slice(0, n), true);
    const found = isNode(node) ? at(node.range?.[0]) : undefined;
    if (found !== undefined) return found;
  }
  return "";
}

function yamlDocument(text: string): Positions & { error: CliError | undefined } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const first = doc.errors[0];
  let error: CliError | undefined;
  if (first !== undefined) {
    const at = first.linePos?.[0];
    const where = at === undefined ? "" : `:${at.line}:${at.col}`;
    // The message repeats the position and quotes the source below its first line.
    const message = firstLine(first.message).replace(/ at line \d+, column \d+:?$/, "");
    error = new CliError(`${where}: invalid YAML: ${message}`);
  }
  return { doc, lines, error };
}

/**
 * Reads a pipeline from YAML or JSON text shaped like the PipelineRequest JSON; errors start with
 * the file name and, where known, line and column, and name the bad field.
 */
export function parsePipelineText(text: string, fileName: string): PipelineRequest {
  const isJson = fileName.toLowerCase().endsWith(".json");
  let value: Json;
  let positions: Positions | undefined;
  if (isJson) {
    try {
      value = JSON.parse(text) as JsonValue;
    } catch (err) {
      throw new CliError(`${fileName}: invalid JSON: ${reason(err)}`);
    }
    const yaml = yamlDocument(text);
    if (yaml.error === undefined) positions = yaml;
  } else {
    const yaml = yamlDocument(text);
    if (yaml.error !== undefined) throw new CliError(`${fileName}${yaml.error.message}`);
    positions = yaml;
    value = yaml.doc.toJS() as Json;
  }
  if (value === null || value === undefined) {
    throw new CliError(`${fileName}: the file is empty; expected a pipeline with name and stages`);
  }
  if (!isObject(value)) {
    throw new CliError(`${fileName}: expected a pipeline object with name and stages`);
  }
  // A PipelineRun manifest (what `kubectl apply -f` takes) runs its spec.pipeline.
  let prefix: (string | number)[] = [];
  if (value.kind === "PipelineRun" && isObject(value.spec) && isObject(value.spec.pipeline)) {
    value = value.spec.pipeline;
    prefix = ["spec", "pipeline"];
  }
  if (!isObject(value)) throw new CliError(`${fileName}: expected a pipeline object`);
  const pipeline = value;
  try {
    return fromJson(PipelineRequestSchema, pipeline);
  } catch (err) {
    const problem = locate(PipelineRequestSchema, pipeline, []);
    if (problem === undefined) throw new CliError(`${fileName}: ${reason(err)}`);
    const where = position(positions, [...prefix, ...problem.path]);
    const quoteHint =
      !isJson && /expected string, got (-?\d|true|false|null)/.test(problem.message)
        ? " (quote the value in YAML)"
        : "";
    throw new CliError(
      `${fileName}${where}: ${formatPath(problem.path)}${stageHint(value, problem.path)}: ${problem.message}${quoteHint}`,
    );
  }
}

/** Loads a pipeline file; see parsePipelineText. */
export async function loadPipelineFile(file: string): Promise<PipelineRequest> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : reason(err);
    throw new CliError(`cannot read pipeline file ${file}: ${why}`);
  }
  return parsePipelineText(text, file);
}

/**
 * The stages to show before the first event: the main stages, then the finally stages. A matrix
 * stage is left out: its instances (test[os=alpine], …) join the view as their events come.
 */
export function viewStageIds(request: PipelineRequest): string[] {
  return [...request.stages, ...request.finally]
    .filter((stage) => stage.matrix === undefined)
    .map((stage) => stage.id);
}

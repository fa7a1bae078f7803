import { randomBytes } from "node:crypto";
import type {
  BuildIdentifier,
  WorkerIdentifier,
} from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import type {
  CancelPipelineRequest,
  PipelineRequest,
  Stage,
  WatchPipelineRequest,
} from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type {
  WorkerResources as ResourcesMessage,
  ScaleRequest,
  SecretEnvVar,
  WorkerStatusRequest,
} from "../../gen/ottoscaler/v1/worker_pb.js";
import type { Config } from "../config/config.ts";
import { findCycle, upstreamOf } from "../engine/dag.ts";
import { matrixCombinations } from "../engine/matrix.ts";
import {
  type ParamSpec,
  type ParamType,
  paramNamePattern,
  paramTypes,
  paramValueProblem,
} from "../engine/params.ts";
import type { PipelineSpec, StageMatrix, StageSpec } from "../engine/pipeline-spec.ts";
import { ConditionError, parseCondition } from "../engine/stage-condition.ts";
import { type StageWhen, whenProblems } from "../engine/stage-when.ts";
import { expandTemplate, hasReference } from "../engine/template.ts";
import type { SecretEnv, WorkerResources } from "../executor/executor.ts";
import { parseQuantity } from "../util/quantity.ts";
import type { TaskSpec } from "../workers/task-manager.ts";
import { FieldViolations } from "./field-violations.ts";
import { imageAllowed, parseImageReference } from "./image-reference.ts";

/**
 * Every request is checked here, and only here, before it reaches the
 * engine: the error names the field path and the reason.
 */
export type Limits = Pick<
  Config,
  | "maxStages"
  | "maxWorkersPerStage"
  | "maxAttempts"
  | "maxBackoffMs"
  | "defaultStageTimeoutSeconds"
  | "defaultImage"
  | "allowedImages"
  | "maxWorkerCpu"
  | "maxWorkerMemory"
>;

const idPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const envKeyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const maxIdLength = { pipeline: 40, stage: 30, task: 40 } as const;
const maxTimeoutSeconds = 7 * 24 * 3600;
/** Requests and limits: Kubernetes quantities, each within the operator's maximum. */
function checkResources(
  v: FieldViolations,
  field: string,
  resources: ResourcesMessage | undefined,
  limits: Limits,
): WorkerResources {
  const out: WorkerResources = {
    cpuRequest: resources?.cpuRequest ?? "",
    cpuLimit: resources?.cpuLimit ?? "",
    memoryRequest: resources?.memoryRequest ?? "",
    memoryLimit: resources?.memoryLimit ?? "",
  };
  const bounds = {
    cpu: { max: limits.maxWorkerCpu, setting: "OTTOSCALER_MAX_WORKER_CPU" },
    memory: { max: limits.maxWorkerMemory, setting: "OTTOSCALER_MAX_WORKER_MEMORY" },
  };
  for (const [key, value] of Object.entries(out)) {
    if (value === "") continue;
    const amount = parseQuantity(value);
    const bound = key.startsWith("cpu") ? bounds.cpu : bounds.memory;
    if (amount === undefined) {
      v.add(`${field}.${key}`, `"${value}" is not a Kubernetes quantity (e.g. "500m", "256Mi")`);
    } else if (amount > (parseQuantity(bound.max) ?? Number.POSITIVE_INFINITY)) {
      v.add(
        `${field}.${key}`,
        `"${value}" is over the maximum of "${bound.max}" (${bound.setting})`,
      );
    }
  }
  return out;
}

/** An image reference Docker would read, from a registry the operator allows. */
function checkImage(v: FieldViolations, field: string, image: string, limits: Limits): void {
  if (image === "") return;
  const parsed = parseImageReference(image);
  if (typeof parsed === "string") {
    v.add(field, `${JSON.stringify(image)} ${parsed}`);
  } else if (!imageAllowed(parsed.repository, limits.allowedImages)) {
    v.add(
      field,
      `"${image}" (${parsed.repository}) is not allowed here (OTTOSCALER_ALLOWED_IMAGES: ${limits.allowedImages.join(", ")})`,
    );
  }
}

function checkTimeout(v: FieldViolations, field: string, seconds: number): void {
  if (seconds > maxTimeoutSeconds)
    v.add(field, `${seconds} is over the limit of ${maxTimeoutSeconds}`);
}

function checkId(v: FieldViolations, field: string, value: string, maxLength: number): void {
  if (value === "") {
    v.add(field, "is required");
  } else if (value.length > maxLength) {
    v.add(field, `"${value}" is longer than ${maxLength} characters`);
  } else if (!idPattern.test(value)) {
    v.add(
      field,
      `"${value}" must be lower-case letters, digits and '-', starting and ending with a letter or digit`,
    );
  }
}

function checkCommand(v: FieldViolations, field: string, command: readonly string[]): void {
  if (command.length === 0 || command[0] === "")
    v.add(field, "is required (a shell line, or an argv)");
}

function checkEnv(v: FieldViolations, field: string, env: Record<string, string>): void {
  for (const key of Object.keys(env)) {
    if (!envKeyPattern.test(key))
      v.add(`${field}["${key}"]`, "is not a valid environment variable name");
    else if (key.startsWith("OTTOSCALER_"))
      v.add(`${field}["${key}"]`, "OTTOSCALER_ variables are set by Ottoscaler");
  }
}

// A Secret's name (a DNS subdomain) and a key of its data.
const secretNamePattern = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const secretKeyPattern = /^[-._a-zA-Z0-9]{1,253}$/;
// How Kubernetes names the token Secrets it makes for ServiceAccounts ("default-token-x7k2p").
// The controller may not read Secrets, so it cannot ask their type: their names give them away.
const serviceAccountTokenName = /-token-[a-z0-9]{5}$|^ottoscaler(-worker)?-token/;

/** Secret references: names, keys, no clash with plain env, no ServiceAccount tokens. */
function checkSecretEnv(
  v: FieldViolations,
  field: string,
  refs: readonly SecretEnvVar[],
  env: Record<string, string>,
): SecretEnv[] {
  const seen = new Set<string>();
  return refs.map((ref, i) => {
    const at = `${field}[${i}]`;
    const secretName = ref.secretKeyRef?.name ?? "";
    const key = ref.secretKeyRef?.key ?? "";
    if (!envKeyPattern.test(ref.name))
      v.add(`${at}.name`, "is not a valid environment variable name");
    else if (ref.name.startsWith("OTTOSCALER_"))
      v.add(`${at}.name`, "OTTOSCALER_ variables are set by Ottoscaler");
    else if (ref.name in env || seen.has(ref.name))
      v.add(`${at}.name`, `"${ref.name}" is set twice`);
    seen.add(ref.name);
    if (!secretNamePattern.test(secretName)) {
      v.add(`${at}.secretKeyRef.name`, `"${secretName}" is not a Secret name`);
    } else if (serviceAccountTokenName.test(secretName)) {
      v.add(
        `${at}.secretKeyRef.name`,
        `"${secretName}" is a ServiceAccount token Secret; those are refused`,
      );
    }
    if (!secretKeyPattern.test(key))
      v.add(`${at}.secretKeyRef.key`, `"${key}" is not a key of a Secret`);
    return { name: ref.name, secretName, key };
  });
}

function checkWorkerCount(
  v: FieldViolations,
  field: string,
  count: number,
  limits: Limits,
  what: string,
): void {
  if (count < 1) v.add(field, `must be at least 1, got ${count}`);
  else if (count > limits.maxWorkersPerStage) {
    v.add(field, `${count} is over the limit of ${limits.maxWorkersPerStage} workers ${what}`);
  }
}

export function newPipelineId(): string {
  return `p-${randomBytes(6).toString("hex")}`;
}

/** A pipeline's parameters: their definitions and this run's values. */
interface Params {
  defs: ParamSpec[];
  values: Record<string, string>;
}

const noReference = 'may not contain "${{" (a value is not expanded again)';

function checkParams(v: FieldViolations, req: PipelineRequest): Params {
  const defs: ParamSpec[] = [];
  req.params.forEach((param, i) => {
    const at = `params[${i}]`;
    if (!paramNamePattern.test(param.name)) {
      v.add(
        `${at}.name`,
        `"${param.name}" must be letters, digits, '_' and '-', starting with a letter or '_'`,
      );
    } else if (defs.some((d) => d.name === param.name)) {
      v.add(`${at}.name`, `"${param.name}" is declared twice`);
    }
    const type = (param.type === "" ? "string" : param.type) as ParamType;
    if (!paramTypes.includes(type)) {
      v.add(`${at}.type`, `"${param.type}" is not one of ${paramTypes.join(", ")}`);
    } else if (param.default !== undefined) {
      const problem = paramValueProblem(type, param.default);
      if (problem !== undefined) v.add(`${at}.default`, problem);
      else if (hasReference(param.default)) v.add(`${at}.default`, noReference);
    }
    defs.push({
      name: param.name,
      ...(param.default !== undefined && { default: param.default }),
      type,
      description: param.description,
    });
  });
  const declared = defs.map((d) => d.name).join(", ") || "none";
  for (const [name, value] of Object.entries(req.paramValues)) {
    const field = `paramValues["${name}"]`;
    const def = defs.find((d) => d.name === name);
    const problem = def === undefined ? undefined : paramValueProblem(def.type, value);
    if (def === undefined) v.add(field, `unknown parameter (declared: ${declared})`);
    else if (problem !== undefined) v.add(field, problem);
    else if (hasReference(value)) v.add(field, noReference);
  }
  const values: Record<string, string> = {};
  defs.forEach((def, i) => {
    const value = req.paramValues[def.name] ?? def.default;
    if (value === undefined)
      v.add(`paramValues["${def.name}"]`, `is required: params[${i}] has no default`);
    else values[def.name] = value;
  });
  return { defs, values };
}

/** Expands the references in one field's text; an unknown one is reported at the field. */
function expandField(
  v: FieldViolations,
  field: string,
  text: string,
  refs: ReadonlyMap<string, string>,
): string {
  const result = expandTemplate(text, (reference) => refs.get(reference));
  if ("text" in result) return result.text;
  const known = [...refs.keys()].join(", ") || "none";
  v.add(field, `${result.error} (known references: ${known})`);
  return text;
}

/** A stage's command, env values and image with their references expanded. */
function expandStage(
  v: FieldViolations,
  field: string,
  stage: Pick<Stage, "command" | "env" | "image">,
  refs: ReadonlyMap<string, string>,
): Pick<StageSpec, "command" | "env" | "image"> {
  return {
    command: stage.command.map((c, j) => expandField(v, `${field}.command[${j}]`, c, refs)),
    env: Object.fromEntries(
      Object.entries(stage.env).map(([k, value]) => [
        k,
        expandField(v, `${field}.env["${k}"]`, value, refs),
      ]),
    ),
    image: expandField(v, `${field}.image`, stage.image, refs),
  };
}

/**
 * A stage's matrix, and the references its fields may use: `${{ matrix.KEY }}`
 * stays as it is in the stage's spec (each instance expands it when the run
 * makes its stages) and is checked here against every combination.
 */
function checkMatrix(
  v: FieldViolations,
  field: string,
  stage: Stage,
  refs: ReadonlyMap<string, string>,
  limits: Limits,
): { spec?: StageMatrix; refs: ReadonlyMap<string, string> } {
  if (stage.matrix === undefined) {
    if (stage.maxParallel > 0)
      v.add(`${field}.maxParallel`, "applies only to a stage with a matrix");
    return { refs };
  }
  const result = matrixCombinations(stage.matrix, limits.maxStages);
  if ("problems" in result) {
    for (const problem of result.problems) v.add(`${field}.matrix${problem.path}`, problem.message);
    return { refs };
  }
  const withMatrix = new Map(refs);
  for (const key of new Set(result.combinations.flatMap((c) => Object.keys(c)))) {
    withMatrix.set(`matrix.${key}`, `\${{ matrix.${key} }}`);
  }
  return {
    spec: { combinations: result.combinations, maxParallel: stage.maxParallel },
    refs: withMatrix,
  };
}

/** Where each stage id was first declared: which list, and the field path. */
type StageIds = Map<string, { finally: boolean; field: string }>;

export function validatePipelineRequest(req: PipelineRequest, limits: Limits): PipelineSpec {
  const v = new FieldViolations();
  const pipelineId = req.pipelineId === "" ? newPipelineId() : req.pipelineId;
  checkId(v, "pipelineId", pipelineId, maxIdLength.pipeline);
  if (req.stages.length === 0) v.add("stages", "a pipeline needs at least one stage");
  const count = req.stages.length + req.finally.length;
  if (count > limits.maxStages) {
    // Do not spend time on the stages of a request this far over the limit.
    v.add("stages", `${count} stages is over the limit of ${limits.maxStages}`);
    v.throwIfAny();
  }
  const params = checkParams(v, req);
  checkTimeout(v, "timeoutSeconds", req.timeoutSeconds);
  const refs = new Map(Object.entries(params.values).map(([k, value]) => [`params.${k}`, value]));
  const ids: StageIds = new Map();
  const lists = [
    { name: "stages", items: req.stages, finally: false },
    { name: "finally", items: req.finally, finally: true },
  ];
  for (const list of lists) {
    list.items.forEach((stage, i) => {
      if (stage.id === "") return;
      const first = ids.get(stage.id);
      const field = `${list.name}[${i}]`;
      if (first !== undefined)
        v.add(`${field}.id`, `duplicate stage id "${stage.id}" (also ${first.field})`);
      else ids.set(stage.id, { finally: list.finally, field });
    });
  }
  const [stages, finallyStages] = lists.map((list) =>
    list.items.map((stage, i) =>
      validateStage(v, `${list.name}[${i}]`, stage, { ids, refs, finally: list.finally }, limits),
    ),
  ) as [StageSpec[], StageSpec[]];
  const instances = [...stages, ...finallyStages].reduce(
    (n, s) => n + (s.matrix?.combinations.length ?? 1),
    0,
  );
  if (instances > limits.maxStages) {
    v.add(
      "stages",
      `${instances} stages with the matrices' instances is over the limit of ${limits.maxStages}`,
    );
  }
  checkConditions(v, lists, { stages, finally: finallyStages }, params);
  if (v.count === 0) {
    const cycle = findCycle([...stages, ...finallyStages]);
    if (cycle !== undefined) v.add("stages", `dependency cycle: ${cycle.join(" → ")}`);
  }
  v.throwIfAny();
  return {
    pipelineId,
    name: req.name === "" ? pipelineId : req.name,
    stages,
    ...(finallyStages.length > 0 && { finally: finallyStages }),
    ...(params.defs.length > 0 && { params: params.defs, paramValues: params.values }),
    ...(req.timeoutSeconds > 0 && { timeoutMs: req.timeoutSeconds * 1000 }),
  };
}

/** `${{ failure() }}`, as GitHub Actions users write it, is `failure()`. */
function conditionText(when: string): string {
  const wrapped = /^\s*\$\{\{(.*)\}\}\s*$/s.exec(when);
  return wrapped === null ? when : (wrapped[1] as string);
}

/** Parses each `when` and checks its references; the parse goes into the stage's spec. */
function checkConditions(
  v: FieldViolations,
  lists: readonly { name: string; items: readonly Stage[]; finally: boolean }[],
  specs: { stages: StageSpec[]; finally: StageSpec[] },
  params: Params,
): void {
  const all = [...specs.stages, ...specs.finally];
  const byId = new Map(all.map((s) => [s.id, s]));
  const allStages = new Set(byId.keys());
  const paramNames = new Set(params.defs.map((d) => d.name));
  for (const list of lists) {
    const listSpecs = list.finally ? specs.finally : specs.stages;
    list.items.forEach((stage, i) => {
      if (stage.when.trim() === "") return;
      const field = `${list.name}[${i}].when`;
      let when: StageWhen;
      try {
        when = { source: stage.when, condition: parseCondition(conditionText(stage.when)) };
      } catch (error) {
        if (!(error instanceof ConditionError)) throw error;
        v.add(field, error.message);
        return;
      }
      const upstream = upstreamOf(stage.id, byId);
      if (list.finally) for (const main of specs.stages) upstream.add(main.id);
      const scope = { params: paramNames, stages: upstream, allStages };
      for (const problem of whenProblems(when.condition, scope)) v.add(field, problem);
      const spec = listSpecs[i];
      if (spec !== undefined) spec.when = when;
    });
  }
}

/** What a stage is checked against: the pipeline's stage ids, and which list it is in. */
interface StageScope {
  ids: StageIds;
  /** What `${{ … }}` references expand to, by reference ("params.version"). */
  refs: ReadonlyMap<string, string>;
  finally: boolean;
}

function checkDependsOn(
  v: FieldViolations,
  field: string,
  dependsOn: readonly string[],
  scope: StageScope,
): void {
  const deps = new Set<string>();
  dependsOn.forEach((dep, j) => {
    const depField = `${field}.dependsOn[${j}]`;
    const known = scope.ids.get(dep);
    if (known === undefined) v.add(depField, `unknown stage "${dep}"`);
    else if (deps.has(dep)) v.add(depField, `"${dep}" is listed twice`);
    else if (known.finally !== scope.finally) {
      v.add(
        depField,
        scope.finally
          ? `"${dep}" is not a finally stage (finally stages run after all of stages; they may depend only on each other)`
          : `"${dep}" is a finally stage; stages may not depend on finally stages`,
      );
    }
    deps.add(dep);
  });
}

function validateStage(
  v: FieldViolations,
  field: string,
  stage: Stage,
  scope: StageScope,
  limits: Limits,
): StageSpec {
  checkId(v, `${field}.id`, stage.id, maxIdLength.stage);
  const matrix = checkMatrix(v, field, stage, scope.refs, limits);
  const { command, env, image } = expandStage(v, field, stage, matrix.refs);
  for (const combination of matrix.spec?.combinations ?? []) {
    const values = new Map(Object.entries(combination).map(([k, val]) => [`matrix.${k}`, val]));
    const instance = expandStage(v, field, { command, env, image }, values);
    checkImage(v, `${field}.image`, instance.image, limits);
  }
  checkCommand(v, `${field}.command`, command);
  checkEnv(v, `${field}.env`, env);
  if (matrix.spec === undefined) checkImage(v, `${field}.image`, image, limits);
  const workers = stage.workers ?? 1;
  checkWorkerCount(v, `${field}.workers`, workers, limits, "per stage");
  checkDependsOn(v, field, stage.dependsOn, scope);
  const retry = stage.retry;
  const maxAttempts = retry?.maxAttempts || 1;
  if (maxAttempts > limits.maxAttempts) {
    v.add(
      `${field}.retry.maxAttempts`,
      `${maxAttempts} is over the limit of ${limits.maxAttempts}`,
    );
  }
  const maxBackoffMs = retry?.maxBackoffMs || limits.maxBackoffMs;
  if (maxBackoffMs > limits.maxBackoffMs) {
    v.add(
      `${field}.retry.maxBackoffMs`,
      `${maxBackoffMs} is over the limit of ${limits.maxBackoffMs}`,
    );
  }
  const initialBackoffMs = retry?.initialBackoffMs ?? 0;
  if (initialBackoffMs > maxBackoffMs) {
    v.add(
      `${field}.retry.initialBackoffMs`,
      `${initialBackoffMs} is more than maxBackoffMs ${maxBackoffMs}`,
    );
  }
  checkTimeout(v, `${field}.timeoutSeconds`, stage.timeoutSeconds);
  return {
    id: stage.id,
    name: stage.name === "" ? stage.id : stage.name,
    image: image === "" ? limits.defaultImage : image,
    command,
    env,
    dependsOn: [...stage.dependsOn],
    workers,
    retry: { maxAttempts, initialBackoffMs, maxBackoffMs },
    timeoutMs: (stage.timeoutSeconds || limits.defaultStageTimeoutSeconds) * 1000,
    resources: checkResources(v, `${field}.resources`, stage.resources, limits),
    ...(stage.secretEnv.length > 0 && {
      secretEnv: checkSecretEnv(v, `${field}.secretEnv`, stage.secretEnv, env),
    }),
    ...(matrix.spec !== undefined && { matrix: matrix.spec }),
  };
}

export function validateScaleUp(req: ScaleRequest, limits: Limits): TaskSpec & { count: number } {
  const v = new FieldViolations();
  checkId(v, "taskId", req.taskId, maxIdLength.task);
  checkWorkerCount(v, "workerCount", req.workerCount, limits, "per ScaleUp");
  checkCommand(v, "command", req.command);
  checkEnv(v, "env", req.env);
  checkImage(v, "image", req.image, limits);
  const resources = checkResources(v, "resources", req.resources, limits);
  const secretEnv = checkSecretEnv(v, "secretEnv", req.secretEnv, req.env);
  v.throwIfAny();
  return {
    taskId: req.taskId,
    resources,
    image: req.image === "" ? limits.defaultImage : req.image,
    command: [...req.command],
    env: { ...req.env },
    ...(secretEnv.length > 0 && { secretEnv }),
    count: req.workerCount,
  };
}

export function validateScaleDown(
  req: ScaleRequest,
  limits: Limits,
): { taskId: string; count: number } {
  const v = new FieldViolations();
  checkId(v, "taskId", req.taskId, maxIdLength.task);
  checkWorkerCount(v, "workerCount", req.workerCount, limits, "per ScaleDown");
  v.throwIfAny();
  return { taskId: req.taskId, count: req.workerCount };
}

export function validateWorkerFilter(req: WorkerStatusRequest): {
  taskId: string;
  pipelineId: string;
} {
  const v = new FieldViolations();
  if (req.taskId !== "") checkId(v, "taskId", req.taskId, maxIdLength.task);
  if (req.pipelineId !== "") checkId(v, "pipelineId", req.pipelineId, maxIdLength.pipeline);
  v.throwIfAny();
  return { taskId: req.taskId, pipelineId: req.pipelineId };
}

export function validatePipelineRef(req: WatchPipelineRequest | CancelPipelineRequest): string {
  const v = new FieldViolations();
  checkId(v, "pipelineId", req.pipelineId, maxIdLength.pipeline);
  v.throwIfAny();
  return req.pipelineId;
}

/** A watch: the pipeline, and the first event wanted (1 when 0). */
export function validateWatchPipeline(req: WatchPipelineRequest): {
  pipelineId: string;
  fromSequence: number;
} {
  const pipelineId = validatePipelineRef(req);
  // Past any history a pipeline can have; kept exact as a number (a uint64 need not be).
  const fromSequence = Number(
    req.fromSequence > BigInt(Number.MAX_SAFE_INTEGER)
      ? BigInt(Number.MAX_SAFE_INTEGER)
      : req.fromSequence,
  );
  return { pipelineId, fromSequence: Math.max(1, fromSequence) };
}

export function validateWorkerIdentifier(req: WorkerIdentifier): string {
  const v = new FieldViolations();
  if (req.workerId === "") v.add("workerId", "is required");
  v.throwIfAny();
  return req.workerId;
}

export function validateBuildIdentifier(req: BuildIdentifier): void {
  const v = new FieldViolations();
  checkId(v, "pipelineId", req.pipelineId, maxIdLength.pipeline);
  // A matrix instance's id is its stage's, then its values: test[node=20,os=alpine].
  const instance = /^([^[]+)\[[^\]]*\]$/.exec(req.stageId);
  const stageId = instance?.[1] ?? req.stageId;
  if (req.stageId !== "") checkId(v, "stageId", stageId, maxIdLength.stage);
  v.throwIfAny();
}

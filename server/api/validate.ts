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
import { findCycle } from "../engine/dag.ts";
import type { PipelineSpec, StageSpec } from "../engine/pipeline-spec.ts";
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

export function validatePipelineRequest(req: PipelineRequest, limits: Limits): PipelineSpec {
  const v = new FieldViolations();
  const pipelineId = req.pipelineId === "" ? newPipelineId() : req.pipelineId;
  checkId(v, "pipelineId", pipelineId, maxIdLength.pipeline);
  if (req.stages.length === 0) v.add("stages", "a pipeline needs at least one stage");
  if (req.stages.length > limits.maxStages) {
    // Do not spend time on the stages of a request this far over the limit.
    v.add("stages", `${req.stages.length} stages is over the limit of ${limits.maxStages}`);
    v.throwIfAny();
  }
  const seen = new Map<string, number>();
  req.stages.forEach((stage, i) => {
    if (stage.id === "") return;
    const first = seen.get(stage.id);
    if (first !== undefined)
      v.add(`stages[${i}].id`, `duplicate stage id "${stage.id}" (also stages[${first}])`);
    else seen.set(stage.id, i);
  });
  const stages = req.stages.map((stage, i) =>
    validateStage(v, `stages[${i}]`, stage, seen, limits),
  );
  if (v.count === 0) {
    const cycle = findCycle(stages);
    if (cycle !== undefined) v.add("stages", `dependency cycle: ${cycle.join(" → ")}`);
  }
  v.throwIfAny();
  return { pipelineId, name: req.name === "" ? pipelineId : req.name, stages };
}

function validateStage(
  v: FieldViolations,
  field: string,
  stage: Stage,
  ids: Map<string, number>,
  limits: Limits,
): StageSpec {
  checkId(v, `${field}.id`, stage.id, maxIdLength.stage);
  checkCommand(v, `${field}.command`, stage.command);
  checkEnv(v, `${field}.env`, stage.env);
  checkImage(v, `${field}.image`, stage.image, limits);
  const workers = stage.workers ?? 1;
  checkWorkerCount(v, `${field}.workers`, workers, limits, "per stage");
  const deps = new Set<string>();
  stage.dependsOn.forEach((dep, j) => {
    const depField = `${field}.dependsOn[${j}]`;
    if (!ids.has(dep)) v.add(depField, `unknown stage "${dep}"`);
    else if (deps.has(dep)) v.add(depField, `"${dep}" is listed twice`);
    deps.add(dep);
  });
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
  if (stage.timeoutSeconds > maxTimeoutSeconds) {
    v.add(
      `${field}.timeoutSeconds`,
      `${stage.timeoutSeconds} is over the limit of ${maxTimeoutSeconds}`,
    );
  }
  return {
    id: stage.id,
    name: stage.name === "" ? stage.id : stage.name,
    image: stage.image === "" ? limits.defaultImage : stage.image,
    command: [...stage.command],
    env: { ...stage.env },
    dependsOn: [...stage.dependsOn],
    workers,
    retry: { maxAttempts, initialBackoffMs, maxBackoffMs },
    timeoutMs: (stage.timeoutSeconds || limits.defaultStageTimeoutSeconds) * 1000,
    resources: checkResources(v, `${field}.resources`, stage.resources, limits),
    ...(stage.secretEnv.length > 0 && {
      secretEnv: checkSecretEnv(v, `${field}.secretEnv`, stage.secretEnv, stage.env),
    }),
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
  if (req.stageId !== "") checkId(v, "stageId", req.stageId, maxIdLength.stage);
  v.throwIfAny();
}

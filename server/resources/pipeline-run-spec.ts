import {
  create,
  fromJson,
  type JsonValue,
  type MessageInitShape,
  toJson,
} from "@bufbuild/protobuf";
import { PipelineRequestSchema, type StageSchema } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { type Limits, validatePipelineRequest } from "../api/validate.ts";
import { OttoscalerError } from "../domain/errors.ts";
import type { PipelineSpec, StageSpec } from "../engine/pipeline-spec.ts";
import type { PipelineRunObject } from "../k8s/pipeline-run-resource.ts";
import { validTraceparent } from "../observability/trace-context.ts";

/** A validated stage as a PipelineRequest's Stage. */
function stageJson(stage: StageSpec): MessageInitShape<typeof StageSchema> {
  return {
    id: stage.id,
    name: stage.name,
    image: stage.image,
    command: stage.command,
    env: stage.env,
    dependsOn: stage.dependsOn,
    workers: stage.workers,
    retry: stage.retry,
    timeoutSeconds: Math.ceil(stage.timeoutMs / 1000),
    resources: stage.resources,
    secretEnv: (stage.secretEnv ?? []).map((s) => ({
      name: s.name,
      secretKeyRef: { name: s.secretName, key: s.key },
    })),
    when: stage.when?.source ?? "",
    // Its combinations as they came out: include entries alone make exactly these.
    ...(stage.matrix !== undefined && {
      matrix: { include: stage.matrix.combinations },
      maxParallel: stage.matrix.maxParallel,
    }),
  };
}

/**
 * A validated pipeline as the PipelineRequest JSON a PipelineRun's spec holds:
 * every default already applied, so the run a later controller continues is
 * the one that started, whatever its own defaults.
 */
export function pipelineRequestJson(spec: PipelineSpec): JsonValue {
  return toJson(
    PipelineRequestSchema,
    create(PipelineRequestSchema, {
      pipelineId: spec.pipelineId,
      name: spec.name,
      stages: spec.stages.map(stageJson),
      finally: (spec.finally ?? []).map(stageJson),
      params: spec.params ?? [],
      paramValues: spec.paramValues ?? {},
      timeoutSeconds: spec.timeoutMs === undefined ? 0 : spec.timeoutMs / 1000,
    }),
  );
}

/**
 * The pipeline id of a PipelineRun: the one it was started with, else the
 * resource's name and the start of its uid, so a PipelineRun deleted and
 * applied again under the same name is a new pipeline.
 */
export function pipelineIdOf(object: PipelineRunObject): string {
  const given = (object.spec?.pipeline as { pipelineId?: unknown } | undefined)?.pipelineId;
  if (object.status?.pipelineId) return object.status.pipelineId;
  if (typeof given === "string" && given !== "") return given;
  return `${object.metadata.name}-${(object.metadata.uid ?? "").slice(0, 8)}`;
}

/** A PipelineRun's spec, validated exactly as ExecutePipeline validates a request. */
export function pipelineSpecOf(object: PipelineRunObject, limits: Limits): PipelineSpec {
  let request: ReturnType<typeof fromJson<typeof PipelineRequestSchema>>;
  try {
    request = fromJson(PipelineRequestSchema, (object.spec?.pipeline ?? {}) as JsonValue);
  } catch (cause) {
    throw new OttoscalerError("invalid", `spec.pipeline: ${(cause as Error).message}`, { cause });
  }
  request.pipelineId = pipelineIdOf(object);
  const traceparent = validTraceparent(object.spec?.traceparent);
  return {
    ...validatePipelineRequest(request, limits),
    ...(traceparent !== undefined && { traceparent }),
  };
}

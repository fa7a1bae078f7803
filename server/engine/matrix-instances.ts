import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { isFinal } from "../domain/pipeline-status.ts";
import { type Combination, instanceId } from "./matrix.ts";
import type { StageSpec } from "./pipeline-spec.ts";
import { expandTemplate } from "./template.ts";

/** A stage as a run has it: a matrix stage is one of these per combination. */
export interface StageInstance {
  spec: StageSpec;
  /** For an instance of a matrix stage: which, with what values. */
  of?: { stageId: string; values: Combination; maxParallel: number };
}

/**
 * The stages a run makes of a pipeline's: each matrix stage becomes its
 * instances, with `${{ matrix.KEY }}` expanded, and a dependency on a matrix
 * stage becomes a dependency on all its instances.
 */
export function stageInstances(stages: readonly StageSpec[]): StageInstance[] {
  const out: StageInstance[] = [];
  const idsOf = new Map<string, string[]>();
  for (const spec of stages) {
    const { matrix, ...stage } = spec;
    if (matrix === undefined) {
      out.push({ spec: stage });
      continue;
    }
    const ids: string[] = [];
    for (const values of matrix.combinations) {
      const expand = (text: string) => {
        const result = expandTemplate(text, (ref) =>
          ref.startsWith("matrix.") ? values[ref.slice("matrix.".length)] : undefined,
        );
        // Checked when the pipeline was validated: an error cannot happen here.
        return "text" in result ? result.text : text;
      };
      const id = instanceId(spec.id, values);
      ids.push(id);
      out.push({
        spec: {
          ...stage,
          id,
          name: instanceId(spec.name, values),
          command: stage.command.map(expand),
          env: Object.fromEntries(Object.entries(stage.env).map(([k, v]) => [k, expand(v)])),
          image: expand(stage.image),
        },
        of: { stageId: spec.id, values, maxParallel: matrix.maxParallel },
      });
    }
    idsOf.set(spec.id, ids);
  }
  for (const instance of out) {
    instance.spec.dependsOn = instance.spec.dependsOn.flatMap((dep) => idsOf.get(dep) ?? [dep]);
  }
  return out;
}

/** Started and not yet ended: what a matrix's maxParallel counts. */
export function isActive(status: PipelineStatus): boolean {
  return (
    status === PipelineStatus.QUEUED ||
    status === PipelineStatus.RUNNING ||
    status === PipelineStatus.RETRYING
  );
}

/**
 * A matrix stage's status from its instances': FAILED if one failed, CANCELLED
 * if one was cancelled, SKIPPED if all were, SUCCEEDED once all have ended;
 * UNSPECIFIED before.
 */
export function combinedStatus(statuses: readonly (PipelineStatus | undefined)[]): PipelineStatus {
  if (statuses.length === 0 || statuses.some((s) => s === undefined || !isFinal(s)))
    return PipelineStatus.UNSPECIFIED;
  for (const status of [PipelineStatus.FAILED, PipelineStatus.CANCELLED]) {
    if (statuses.includes(status)) return status;
  }
  return statuses.every((s) => s === PipelineStatus.SKIPPED)
    ? PipelineStatus.SKIPPED
    : PipelineStatus.SUCCEEDED;
}

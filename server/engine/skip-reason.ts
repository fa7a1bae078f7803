import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type { StageSpec } from "./pipeline-spec.ts";
import { type ConditionContext, evaluateCondition } from "./stage-condition.ts";

/** What a due stage's condition is decided on: its dependencies have all ended. */
export interface DueStage {
  /** A finally stage: its functions are about the main stages' outcome. */
  final: boolean;
  /** How the main stages ended (set once they all have). */
  main: PipelineStatus | undefined;
  deps: readonly { id: string; status: PipelineStatus }[];
  /** A stage it depends on, directly or not, FAILED. */
  failedUpstream: boolean;
  cancelled: boolean;
  ref: ConditionContext["ref"];
}

/**
 * Why a due stage is SKIPPED, or undefined when it runs. In `stages`,
 * success() means every dependency SUCCEEDED and no stage before them FAILED
 * (so the stages after a SKIPPED one are skipped too, unless their own
 * condition says otherwise) and failure() that some stage before it FAILED; in
 * `finally`, they and cancelled() are about the main stages' outcome. Without
 * `when`, a stage in `stages` needs success(), one in `finally` runs always.
 */
export function skipReason(spec: StageSpec, due: DueStage): string | undefined {
  const allSucceeded = due.deps.every((d) => d.status === PipelineStatus.SUCCEEDED);
  const functions = due.final
    ? {
        success: due.main === PipelineStatus.SUCCEEDED,
        failure: due.main === PipelineStatus.FAILED,
        cancelled: due.main === PipelineStatus.CANCELLED,
        always: true,
      }
    : {
        success: allSucceeded && !due.failedUpstream && !due.cancelled,
        failure: due.failedUpstream,
        cancelled: due.cancelled,
        always: true,
      };
  if (spec.when === undefined) {
    if (due.final || functions.success) return undefined;
    const dep = due.deps.find((d) => d.status !== PipelineStatus.SUCCEEDED);
    return dep === undefined
      ? "skipped: a stage before it failed"
      : `skipped: dependency ${dep.id} did not succeed`;
  }
  const holds = evaluateCondition(spec.when.condition, { functions, ref: due.ref });
  return holds ? undefined : `skipped: when ${JSON.stringify(spec.when.source)} is false`;
}

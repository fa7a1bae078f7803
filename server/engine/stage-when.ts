import { type Condition, conditionNodes } from "./stage-condition.ts";

/** A stage's condition as validated: its text (as the user wrote it) and its parse. */
export interface StageWhen {
  source: string;
  condition: Condition;
}

/** The statuses a finished stage can have, which `stages.ID.status` compares with. */
export const endedStatuses = ["SUCCEEDED", "FAILED", "SKIPPED", "CANCELLED"] as const;

/** What a condition's references may name. */
export interface WhenScope {
  params: ReadonlySet<string>;
  /** Stages whose status the condition may read: those it runs after. */
  stages: ReadonlySet<string>;
  /** Every stage of the pipeline, for a better error. */
  allStages: ReadonlySet<string>;
}

const stageRef = /^stages\.([^.]+)\.status$/;

/** Why each reference of the condition is wrong: none when all is well. */
export function whenProblems(condition: Condition, scope: WhenScope): string[] {
  const problems: string[] = [];
  for (const node of conditionNodes(condition)) {
    if (node.kind === "compare") {
      const [ref, literal] =
        node.left.kind === "ref" ? [node.left, node.right] : [node.right, node.left];
      if (
        ref.kind === "ref" &&
        stageRef.test(ref.path) &&
        literal.kind === "string" &&
        !(endedStatuses as readonly string[]).includes(literal.value)
      ) {
        problems.push(
          `'${literal.value}' is not a status a stage ends with (${endedStatuses.join(", ")})`,
        );
      }
    }
    if (node.kind !== "ref") continue;
    const stage = stageRef.exec(node.path)?.[1];
    if (node.path.startsWith("params.")) {
      const name = node.path.slice("params.".length);
      if (!scope.params.has(name)) {
        const declared = [...scope.params].join(", ") || "none";
        problems.push(`unknown parameter "${name}" (declared: ${declared})`);
      }
    } else if (stage === undefined) {
      problems.push(
        `unknown reference "${node.path}" (references are params.NAME and stages.ID.status)`,
      );
    } else if (!scope.allStages.has(stage)) {
      problems.push(`unknown stage "${stage}"`);
    } else if (!scope.stages.has(stage)) {
      problems.push(`stage "${stage}" may not have ended by then: depend on it to read its status`);
    }
  }
  return problems;
}

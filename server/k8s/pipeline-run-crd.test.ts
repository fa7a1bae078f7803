import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type { RunRecord } from "../domain/run-record.ts";
import { statusOfRecord } from "./pipeline-run-resource.ts";

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

const crd = parse(
  readFileSync(
    path.resolve(import.meta.dirname, "../../manifests/base/crds/pipelineruns.yaml"),
    "utf8",
  ),
) as { spec: { versions: { schema: { openAPIV3Schema: Schema } }[] } };
const root = crd.spec.versions[0]?.schema.openAPIV3Schema as Schema;

/** Paths in `value` the schema does not declare: the API server would prune them. */
function undeclared(value: unknown, schema: Schema | undefined, at: string): string[] {
  if (schema === undefined) return [at];
  if (schema["x-kubernetes-preserve-unknown-fields"] === true) return [];
  if (Array.isArray(value))
    return value.flatMap((item, i) => undeclared(item, schema.items, `${at}[${i}]`));
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    undeclared(inner, schema.properties?.[key], `${at}.${key}`),
  );
}

describe("the PipelineRun CRD's structural schema", () => {
  it("declares every status field a run's record is written as, so none is pruned", () => {
    const record: RunRecord = {
      pipelineId: "p",
      status: PipelineStatus.RUNNING,
      completedStages: 2,
      totalStages: 3,
      sequence: 12,
      mainOutcome: { status: PipelineStatus.FAILED, message: "pipeline failed: 1 stage(s) failed" },
      stages: [
        {
          id: "build",
          status: PipelineStatus.SKIPPED,
          attempt: 0,
          message: "skipped: dependency a did not succeed",
          attempts: [{ attempt: 1, workers: 2, created: [0, 1], succeeded: 1, failed: 1 }],
        },
      ],
    };
    const status = statusOfRecord(record, 3);
    assert.deepEqual(undeclared(status, root.properties?.status, "status"), []);
  });

  it("keeps a spec.pipeline with finally, when, params, timeoutSeconds and matrix as written", () => {
    const spec = {
      pipeline: {
        params: [{ name: "version", default: "0.0.0-dev", type: "string" }],
        paramValues: { version: "1.2" },
        timeoutSeconds: 1800,
        stages: [
          {
            id: "test",
            when: "params.version != ''",
            matrix: { os: ["alpine"], exclude: [], include: [{ os: "debian" }] },
            maxParallel: 2,
            command: ["echo ${{ matrix.os }}"],
          },
        ],
        finally: [{ id: "cleanup", command: ["true"] }],
      },
      cancel: { reason: "x" },
    };
    assert.deepEqual(undeclared(spec, root.properties?.spec, "spec"), []);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { PipelineRequestSchema } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { validatePipelineRequest } from "../api/validate.ts";
import { loadConfig } from "../config/config.ts";
import { pipelineRequestJson, pipelineSpecOf } from "./pipeline-run-spec.ts";

const limits = loadConfig({});

describe("a PipelineRun's spec", () => {
  it("holds every field of a validated pipeline, so a controller continuing it runs the same one", () => {
    const spec = validatePipelineRequest(
      create(PipelineRequestSchema, {
        pipelineId: "round-trip",
        timeoutSeconds: 1800,
        params: [
          { name: "version", default: "0.0.0" },
          { name: "n", type: "number" },
        ],
        paramValues: { n: "3" },
        stages: [
          { id: "build", command: ["make VERSION=${{ params.version }}"] },
          { id: "report", dependsOn: ["build"], when: "failure()", command: ["true"] },
          {
            id: "test",
            dependsOn: ["build"],
            matrix: {
              os: ["alpine", "debian"],
              node: [20, 22],
              exclude: [{ os: "debian", node: 20 }],
              include: [{ os: "alpine", musl: true }, { os: "windows" }],
            },
            maxParallel: 2,
            command: ["test ${{ matrix.os }} ${{ params.version }}"],
          },
        ],
        finally: [
          { id: "clean", when: "stages.build.status != 'SKIPPED'", command: ["rm -rf out"] },
        ],
      }),
      limits,
    );
    const object = {
      apiVersion: "ottoscaler.io/v1alpha1",
      kind: "PipelineRun",
      metadata: { name: "round-trip", uid: "0123456789" },
      spec: { pipeline: pipelineRequestJson(spec) },
    };
    assert.deepEqual(pipelineSpecOf(object, limits), spec);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { PipelineRequestSchema } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { loadConfig } from "../config/config.ts";
import { refusal, runPipeline } from "../testing/pipeline-client.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";
import { validatePipelineRequest } from "./validate.ts";

const params = [
  { name: "version", default: "0.0.0-dev" },
  { name: "shards", type: "number", default: "2" },
  { name: "target" },
];

describe("pipeline params", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t[Symbol.asyncDispose]());

  it("are expanded in commands and env values, a run's values over the defaults", async () => {
    const run = await runPipeline(t, {
      params,
      paramValues: { version: "1.2.3", target: "prod" },
      stages: [
        {
          id: "build",
          env: { SHARDS: "${{ params.shards }}" },
          command: ['echo "app ${{ params.version }} for ${{params.target}} in $SHARDS shards"'],
        },
      ],
    });
    assert.equal(run.status, "SUCCEEDED");
    assert.deepEqual(await run.lines("build"), ["app 1.2.3 for prod in 2 shards"]);
  });

  it("are expanded in images, which are then checked against the allowed registries", () => {
    const limits = loadConfig({ OTTOSCALER_ALLOWED_IMAGES: "docker.io/library/*" });
    const request = (image: string) =>
      create(PipelineRequestSchema, {
        params: [{ name: "tag", default: "1.36" }, { name: "repo" }],
        paramValues: { repo: image },
        stages: [{ id: "s", image: "${{ params.repo }}:${{ params.tag }}", command: ["true"] }],
      });
    assert.equal(
      validatePipelineRequest(request("busybox"), limits).stages[0]?.image,
      "busybox:1.36",
    );
    assert.throws(
      () => validatePipelineRequest(request("evil.example/x"), limits),
      /stages\[0\]\.image: "evil\.example\/x:1\.36" .*is not allowed here/,
    );
  });

  it("refuse unknown references, unknown and ill-typed values and missing ones, naming the field", async () => {
    const stage = (command: string) => ({ id: "s", command: [command] });
    assert.equal(
      await refusal(t, {
        params,
        paramValues: { target: "x" },
        stages: [stage("echo ${{ params.nope }}")],
      }),
      'stages[0].command[0]: unknown reference "params.nope" (known references: params.version, params.shards, params.target)',
    );
    assert.equal(
      await refusal(t, {
        params,
        paramValues: { target: "x" },
        stages: [{ id: "s", command: ["true"] }],
        finally: [{ id: "f", env: { A: "${{ matrix.os }}" }, command: ["true"] }],
      }),
      'finally[0].env["A"]: unknown reference "matrix.os" (known references: params.version, params.shards, params.target)',
    );
    assert.equal(
      await refusal(t, {
        params,
        paramValues: { target: "x", nope: "1" },
        stages: [stage("true")],
      }),
      'paramValues["nope"]: unknown parameter (declared: version, shards, target)',
    );
    assert.equal(
      await refusal(t, {
        params,
        paramValues: { target: "x", shards: "many" },
        stages: [stage("true")],
      }),
      'paramValues["shards"]: "many" is not a number',
    );
    assert.equal(
      await refusal(t, { params, stages: [stage("true")] }),
      'paramValues["target"]: is required: params[2] has no default',
    );
    assert.equal(
      await refusal(t, {
        params: [{ name: "a", type: "int" }, { name: "a" }, { name: "9lives" }],
        stages: [stage("true")],
      }),
      [
        'params[0].type: "int" is not one of string, number, boolean',
        'params[1].name: "a" is declared twice',
        `params[2].name: "9lives" must be letters, digits, '_' and '-', starting with a letter or '_'`,
        'paramValues["a"]: is required: params[0] has no default',
        'paramValues["a"]: is required: params[1] has no default',
        'paramValues["9lives"]: is required: params[2] has no default',
      ].join("; "),
    );
  });
});

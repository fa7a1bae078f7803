import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { CliError } from "./errors.ts";
import { loadPipelineFile, parsePipelineText, viewStageIds } from "./pipeline-file.ts";

const examples = path.join(import.meta.dirname, "../../examples");

function fileError(pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof CliError, `expected a CliError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  };
}

const yaml = `
name: demo
stages:
  - id: build
    image: busybox
    command: ["echo hi"]
    env: { MODE: "fast" }
    workers: 2
    retry: { maxAttempts: 3, initialBackoffMs: 100 }
    timeoutSeconds: 30
  - id: test
    depends_on: [build]
    command: [sh, -c, "exit 0"]
`;

describe("parsePipelineText", () => {
  it("reads a YAML pipeline into a PipelineRequest", () => {
    const request = parsePipelineText(yaml, "demo.yaml");
    assert.equal(request.name, "demo");
    assert.equal(request.pipelineId, "");
    const [build, test] = request.stages;
    assert.equal(build?.id, "build");
    assert.deepEqual(build?.command, ["echo hi"]);
    assert.deepEqual(build?.env, { MODE: "fast" });
    assert.equal(build?.workers, 2);
    assert.equal(build?.retry?.maxAttempts, 3);
    assert.equal(build?.timeoutSeconds, 30);
    assert.equal(test?.workers, undefined, "an absent workers field stays absent");
    assert.deepEqual(test?.dependsOn, ["build"], "proto field names work too");
  });

  it("reads the same pipeline from JSON", () => {
    const json = JSON.stringify({
      pipelineId: "p-fixed",
      name: "demo",
      stages: [{ id: "build", command: ["echo hi"], dependsOn: [] }],
    });
    const request = parsePipelineText(json, "demo.json");
    assert.equal(request.pipelineId, "p-fixed");
    assert.equal(request.stages[0]?.id, "build");
  });

  it("names the stage, the field and the line of a wrongly typed value", () => {
    const bad = "name: x\nstages:\n  - id: a\n  - id: lint\n    workers: three\n";
    assert.throws(
      () => parsePipelineText(bad, "bad.yaml"),
      fileError(/^bad\.yaml:5:5: stages\[1\]\.workers \(stage "lint"\): expected number/),
    );
  });

  it("names an unknown field and lists the known ones", () => {
    const bad = "name: x\nstages:\n  - id: a\n    imag: busybox\n";
    assert.throws(
      () => parsePipelineText(bad, "bad.yaml"),
      fileError(
        /^bad\.yaml:4:5: stages\[0\]\.imag \(stage "a"\): unknown field; known fields are id, name, image/,
      ),
    );
  });

  it("names nested fields such as retry.maxAttempts", () => {
    const bad = "name: x\nstages:\n  - id: a\n    retry: { maxAttempts: -1 }\n";
    assert.throws(
      () => parsePipelineText(bad, "bad.yaml"),
      fileError(
        /stages\[0\]\.retry\.maxAttempts \(stage "a"\): expected number \(uint32\): -1 out of range/,
      ),
    );
  });

  it("says a command must be a list, and suggests quoting numbers meant as strings", () => {
    assert.throws(
      () => parsePipelineText("name: x\nstages:\n  - id: a\n    command: echo hi\n", "bad.yaml"),
      fileError(/stages\[0\]\.command \(stage "a"\): expected Array, got "echo hi"/),
    );
    assert.throws(
      () => parsePipelineText("name: x\nstages:\n  - id: a\n    env: { N: 1 }\n", "bad.yaml"),
      fileError(/stages\[0\]\.env .*expected string, got 1 \(quote the value in YAML\)/),
    );
  });

  it("names the field in a JSON file too, with its line", () => {
    const bad =
      '{\n  "name": "x",\n  "stages": [\n    { "id": "a", "timeoutSeconds": "soon" }\n  ]\n}\n';
    assert.throws(
      () => parsePipelineText(bad, "bad.json"),
      fileError(/^bad\.json:4:\d+: stages\[0\]\.timeoutSeconds \(stage "a"\): expected number/),
    );
  });

  it("reports YAML and JSON syntax errors with the file name", () => {
    assert.throws(
      () => parsePipelineText("name: x\nstages:\n  - id: a\n    id: b\n", "dup.yaml"),
      fileError(/^dup\.yaml:4:5: invalid YAML: Map keys must be unique/),
    );
    assert.throws(
      () => parsePipelineText("{ name: ", "bad.json"),
      fileError(/^bad\.json: invalid JSON/),
    );
  });

  it("rejects an empty file and a file that is not an object", () => {
    assert.throws(
      () => parsePipelineText("", "empty.yaml"),
      fileError(/empty\.yaml: the file is empty/),
    );
    assert.throws(
      () => parsePipelineText("- a\n- b\n", "list.yaml"),
      fileError(/expected a pipeline object/),
    );
  });
});

describe("loadPipelineFile", () => {
  it("says when the file does not exist", async () => {
    await assert.rejects(
      loadPipelineFile("no/such/pipeline.yaml"),
      fileError(/cannot read pipeline file no\/such\/pipeline\.yaml: no such file/),
    );
  });

  it("loads every example, each stage with a command and a unique id", async () => {
    const files = (await readdir(examples)).filter((f) => /\.(ya?ml|json)$/.test(f));
    assert.ok(files.length >= 4);
    for (const file of files) {
      const request = await loadPipelineFile(path.join(examples, file));
      assert.ok(request.stages.length > 0, file);
      const ids = request.stages.map((s) => s.id);
      assert.equal(new Set(ids).size, ids.length, `${file}: stage ids are unique`);
      for (const stage of request.stages) {
        assert.ok(stage.command.length > 0, `${file}: ${stage.id} has a command`);
        for (const dep of stage.dependsOn)
          assert.ok(ids.includes(dep), `${file}: ${stage.id} -> ${dep}`);
      }
    }
  });

  it("runs a PipelineRun manifest's spec.pipeline, and places an error at its line in the manifest", () => {
    const manifest = [
      "apiVersion: ottoscaler.io/v1alpha1",
      "kind: PipelineRun",
      "metadata: { name: demo }",
      "spec:",
      "  pipeline:",
      "    name: demo",
      "    stages:",
      "      - id: build",
      "        image: busybox",
      '        command: ["true"]',
      "",
    ].join("\n");
    const request = parsePipelineText(manifest, "run.yaml");
    assert.deepEqual(
      request.stages.map((s) => s.id),
      ["build"],
    );
    assert.throws(
      () => parsePipelineText(manifest.replace("image: busybox", "image: [1]"), "run.yaml"),
      fileError(/^run\.yaml:9:\d+: stages\[0\]\.image/),
    );
  });

  it("shows the main, then the finally stages before any event, a matrix stage by its instances later", () => {
    const request = parsePipelineText(
      "stages:\n  - { id: a }\n  - { id: m, matrix: { x: [1, 2] } }\nfinally:\n  - { id: z }\n",
      "p.yaml",
    );
    assert.deepEqual(viewStageIds(request), ["a", "z"]);
  });
});

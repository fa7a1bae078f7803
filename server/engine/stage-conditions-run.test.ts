import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { refusal, runPipeline } from "../testing/pipeline-client.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";

/** build (which fails or not), then report-failure with `when: failure()` and deploy after it. */
const withReport = (buildExit: number) => ({
  stages: [
    { id: "build", command: [`exit ${buildExit}`] },
    { id: "test", dependsOn: ["build"], command: ["true"] },
    { id: "report-failure", dependsOn: ["test"], when: "failure()", command: ["echo reported"] },
  ],
});

describe("when conditions on the local executor", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t[Symbol.asyncDispose]());

  it("runs a `when: failure()` stage after a failure, even past a SKIPPED stage; the pipeline stays FAILED", async () => {
    const run = await runPipeline(t, withReport(1));
    assert.equal(run.stage("test").status, "SKIPPED");
    assert.equal(run.stage("test").message, "skipped: dependency build did not succeed");
    assert.equal(run.stage("report-failure").status, "SUCCEEDED");
    assert.deepEqual(await run.lines("report-failure"), ["reported"]);
    assert.equal(run.status, "FAILED");
  });

  it("skips a `when: failure()` stage when all went well, with the reason; the pipeline SUCCEEDS", async () => {
    const run = await runPipeline(t, withReport(0));
    assert.deepEqual(run.stage("report-failure"), {
      status: "SKIPPED",
      message: 'skipped: when "failure()" is false',
    });
    assert.equal(run.status, "SUCCEEDED");
  });

  it("skips a stage on a parameter; its dependents follow (skipped by default, run with always())", async () => {
    const request = (deploy: string) => ({
      params: [{ name: "deploy", type: "boolean", default: "false" }, { name: "version" }],
      paramValues: { deploy, version: "1.2" },
      stages: [
        { id: "build", command: ["true"] },
        {
          id: "deploy",
          dependsOn: ["build"],
          when: "params.deploy && params.version != ''",
          command: ['echo "deploying ${{ params.version }}"'],
        },
        { id: "smoke", dependsOn: ["deploy"], command: ["true"] },
        { id: "announce", dependsOn: ["deploy"], when: "always()", command: ["true"] },
        {
          id: "summary",
          dependsOn: ["deploy"],
          when: "stages.deploy.status == 'SKIPPED' || stages.build.status != 'SUCCEEDED'",
          command: ["echo not deployed"],
        },
      ],
    });
    const skipped = await runPipeline(t, request("false"));
    assert.deepEqual(skipped.stage("deploy"), {
      status: "SKIPPED",
      message: `skipped: when "params.deploy && params.version != ''" is false`,
    });
    assert.deepEqual(skipped.stage("smoke"), {
      status: "SKIPPED",
      message: "skipped: dependency deploy did not succeed",
    });
    assert.equal(skipped.stage("announce").status, "SUCCEEDED");
    assert.deepEqual(await skipped.lines("summary"), ["not deployed"]);
    assert.equal(skipped.status, "SUCCEEDED");

    const deployed = await runPipeline(t, request("true"));
    assert.deepEqual(await deployed.lines("deploy"), ["deploying 1.2"]);
    assert.equal(deployed.stage("smoke").status, "SUCCEEDED");
    assert.equal(deployed.stage("summary").status, "SKIPPED");
  });

  it("skips a stage's default dependents after an always() stage that ran past a failure", async () => {
    const run = await runPipeline(t, {
      stages: [
        { id: "build", command: ["exit 1"] },
        { id: "collect", dependsOn: ["build"], when: "always()", command: ["true"] },
        { id: "publish", dependsOn: ["collect"], command: ["true"] },
      ],
    });
    assert.equal(run.stage("collect").status, "SUCCEEDED");
    assert.deepEqual(run.stage("publish"), {
      status: "SKIPPED",
      message: "skipped: a stage before it failed",
    });
  });

  it("decides finally stages on the pipeline's status so far", async () => {
    const run = await runPipeline(t, {
      stages: [{ id: "build", command: ["exit 1"] }],
      finally: [
        { id: "on-failure", when: "${{ failure() }}", command: ["true"] },
        { id: "on-success", when: "success()", command: ["true"] },
        { id: "on-cancel", when: "cancelled()", command: ["true"] },
        { id: "build-failed", when: "stages.build.status == 'FAILED'", command: ["true"] },
      ],
    });
    assert.equal(run.stage("on-failure").status, "SUCCEEDED");
    assert.equal(run.stage("on-success").status, "SKIPPED");
    assert.equal(run.stage("on-cancel").status, "SKIPPED");
    assert.equal(run.stage("build-failed").status, "SUCCEEDED");
    assert.equal(run.status, "FAILED");
  });

  it("refuses bad conditions, naming the field", async () => {
    const stages = (when: string) => ({
      params: [{ name: "version", default: "" }],
      stages: [
        { id: "a", command: ["true"] },
        { id: "b", command: ["true"] },
        { id: "c", dependsOn: ["a"], when, command: ["true"] },
      ],
    });
    const cases: [string, string][] = [
      [
        "succes()",
        "stages[2].when: unknown function succes() (known: success(), failure(), always(), cancelled())",
      ],
      ["params.version = ''", 'stages[2].when: unexpected "=" at 16'],
      ["params.nope != ''", 'stages[2].when: unknown parameter "nope" (declared: version)'],
      ["stages.zz.status == 'FAILED'", 'stages[2].when: unknown stage "zz"'],
      [
        "stages.b.status == 'FAILED'",
        'stages[2].when: stage "b" may not have ended by then: depend on it to read its status',
      ],
      [
        "stages.a.status == 'SUCCESS'",
        "stages[2].when: 'SUCCESS' is not a status a stage ends with (SUCCEEDED, FAILED, SKIPPED, CANCELLED)",
      ],
      [
        "env.HOME",
        'stages[2].when: unknown reference "env.HOME" (references are params.NAME and stages.ID.status)',
      ],
    ];
    for (const [when, message] of cases) assert.equal(await refusal(t, stages(when)), message);
  });
});

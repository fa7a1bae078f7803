import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ConditionContext,
  conditionNodes,
  evaluateCondition,
  parseCondition,
} from "./stage-condition.ts";

const ctx: ConditionContext = {
  functions: { success: false, failure: true, always: true, cancelled: false },
  ref: (path) =>
    ({
      "stages.build.status": "SUCCEEDED",
      "stages.test.status": "FAILED",
      "params.version": "1.2",
      "params.empty": "",
      "params.release": "false",
    })[path] ?? assert.fail(`unexpected reference ${path}`),
};
const holds = (source: string) => evaluateCondition(parseCondition(source), ctx);

describe("stage conditions", () => {
  it("evaluates the functions", () => {
    assert.equal(holds("success()"), false);
    assert.equal(holds("failure()"), true);
    assert.equal(holds("always()"), true);
    assert.equal(holds(" cancelled( ) "), false);
  });

  it("compares stage statuses and parameters with strings in either quote", () => {
    assert.equal(holds("stages.build.status == 'SUCCEEDED'"), true);
    assert.equal(holds('stages.test.status != "FAILED"'), false);
    assert.equal(holds("params.version != ''"), true);
    assert.equal(holds("params.empty == ''"), true);
    assert.equal(holds("'it''s' == \"it's\""), true);
    assert.equal(holds("failure() == 'true'"), true);
  });

  it("combines with !, && and || by precedence, and parentheses", () => {
    assert.equal(holds("!success()"), true);
    assert.equal(holds("success() || failure() && params.version == '1.2'"), true);
    assert.equal(holds("(success() || failure()) && params.version == '2'"), false);
    assert.equal(holds("!(params.version == '1.2') || always()"), true);
  });

  it("takes a value alone as true unless it is empty or false", () => {
    assert.equal(holds("params.version"), true);
    assert.equal(holds("params.empty"), false);
    assert.equal(holds("params.release"), false);
    assert.equal(holds("!params.release"), true);
  });

  it("says what is wrong and where", () => {
    const fails = (source: string, message: RegExp) =>
      assert.throws(() => parseCondition(source), message);
    fails(
      "succes()",
      /^Error: unknown function succes\(\) \(known: success\(\), failure\(\), always\(\), cancelled\(\)\)$/,
    );
    fails("params.version = '1'", /unexpected "=" at 16/);
    fails("params.version == 'x", /string at 19 is not closed/);
    fails("(always()", /expected "\)", got the end/);
    fails("always() always()", /unexpected "always" at 10/);
    fails("stages.", /expected a name after "\.", got the end/);
    fails("", /expected a value, got the end/);
  });

  it("lists its references for the checks before a pipeline starts", () => {
    const refs = conditionNodes(parseCondition("stages.a.status == 'X' || !params.b"))
      .filter((n) => n.kind === "ref")
      .map((n) => (n.kind === "ref" ? n.path : ""));
    assert.deepEqual(refs, ["stages.a.status", "params.b"]);
  });
});

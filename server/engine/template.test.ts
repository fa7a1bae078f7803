import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { paramValueProblem } from "./params.ts";
import { expandTemplate } from "./template.ts";

const refs = new Map([
  ["params.version", "1.2"],
  ["params.empty", ""],
  ["params.loop", "${{ params.version }}"],
]);
const expand = (text: string) => expandTemplate(text, (r) => refs.get(r));

describe("expandTemplate", () => {
  it("replaces each reference, with or without spaces inside the braces", () => {
    assert.deepEqual(expand("v${{ params.version }}-${{params.version}}"), { text: "v1.2-1.2" });
    assert.deepEqual(expand("[${{ params.empty }}]"), { text: "[]" });
    assert.deepEqual(expand("no references, $HOME and ${HOME} untouched"), {
      text: "no references, $HOME and ${HOME} untouched",
    });
  });

  it("does not expand what a reference expands to again", () => {
    assert.deepEqual(expand("${{ params.loop }}"), { text: "${{ params.version }}" });
  });

  it("reports unknown references, malformed ones and an unclosed one", () => {
    assert.deepEqual(expand("${{ params.nope }}"), { error: 'unknown reference "params.nope"' });
    assert.deepEqual(expand("${{ 1 + 2 }}"), {
      error: '"${{ 1 + 2 }}" is not a reference such as ${{ params.NAME }}',
    });
    assert.deepEqual(expand("ok ${{ params.version"), {
      error: '"${{" at offset 3 is not closed with "}}"',
    });
  });
});

describe("paramValueProblem", () => {
  it("checks numbers and booleans; any string is a string", () => {
    assert.equal(paramValueProblem("number", "-1.5e3"), undefined);
    assert.equal(paramValueProblem("number", "1.2.3"), '"1.2.3" is not a number');
    assert.equal(paramValueProblem("boolean", "true"), undefined);
    assert.equal(paramValueProblem("boolean", "yes"), '"yes" is not a boolean (true or false)');
    assert.equal(paramValueProblem("string", ""), undefined);
  });
});

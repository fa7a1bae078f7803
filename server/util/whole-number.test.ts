import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { wholeNumber } from "./whole-number.ts";

describe("wholeNumber", () => {
  it("reads a whole number within the bounds, the bounds included", () => {
    assert.equal(wholeNumber("0", { min: 0, max: 10 }), 0);
    assert.equal(wholeNumber("10", { min: 0, max: 10 }), 10);
    assert.equal(wholeNumber(" 7 ", { min: 1 }), 7);
  });

  it("refuses numbers outside the bounds", () => {
    assert.equal(wholeNumber("11", { min: 0, max: 10 }), undefined);
    assert.equal(wholeNumber("0", { min: 1 }), undefined);
  });

  it("refuses fractions, words and blank text", () => {
    for (const text of ["1.5", "ten", "", "  ", "Infinity"]) {
      assert.equal(wholeNumber(text, { min: 0 }), undefined, JSON.stringify(text));
    }
  });

  it("refuses numbers past the safe integers by default", () => {
    assert.equal(wholeNumber("9007199254740992", { min: 0 }), undefined);
    assert.equal(wholeNumber("9007199254740991", { min: 0 }), Number.MAX_SAFE_INTEGER);
  });
});

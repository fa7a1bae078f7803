import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { firstLine, formatDuration, truncate } from "./format.ts";
import { fitLastColumn, formatTable } from "./table.ts";

describe("formatDuration", () => {
  it("shows tenths of seconds under a minute, then minutes and hours", () => {
    assert.equal(formatDuration(0), "0.0s");
    assert.equal(formatDuration(1549), "1.5s");
    assert.equal(formatDuration(59_999), "59.9s");
    assert.equal(formatDuration(125_000), "2m05s");
    assert.equal(formatDuration(3_720_000), "1h02m");
    assert.equal(formatDuration(-5), "0.0s");
  });
});

describe("text helpers", () => {
  it("cuts long text with an ellipsis and keeps short text", () => {
    assert.equal(truncate("abcdef", 4), "abc…");
    assert.equal(truncate("abc", 4), "abc");
  });

  it("keeps only the first line of a message", () => {
    assert.equal(firstLine("one\ntwo"), "one …");
    assert.equal(firstLine("one"), "one");
  });
});

describe("formatTable", () => {
  it("pads every column but the last, two spaces apart", () => {
    assert.deepEqual(
      formatTable(
        ["ID", "STATUS", "MESSAGE"],
        [
          ["a", "RUNNING", ""],
          ["long-id", "OK", "done"],
        ],
      ),
      ["ID       STATUS   MESSAGE", "a        RUNNING", "long-id  OK       done"],
    );
  });

  it("cuts the last column so lines fit a width", () => {
    const rows = fitLastColumn(["ID", "MESSAGE"], [["a", "a very long message"]], 12);
    assert.deepEqual(rows, [["a", "a very …"]]);
  });
});

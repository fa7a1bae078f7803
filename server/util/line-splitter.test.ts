import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LineSplitter } from "./line-splitter.ts";

function split(chunks: Buffer[], max = 1000): string[] {
  const lines: string[] = [];
  const s = new LineSplitter(max, (l) => lines.push(l));
  for (const c of chunks) s.write(c);
  s.end();
  return lines;
}

describe("LineSplitter", () => {
  it("splits lines across chunk boundaries and keeps the last unterminated line", () => {
    assert.deepEqual(split([Buffer.from("a\nb"), Buffer.from("c\r\n\nd")]), ["a", "bc", "", "d"]);
  });

  it("keeps a multi-byte character whole when a chunk splits it", () => {
    const bytes = Buffer.from("한글\n");
    assert.deepEqual(split([bytes.subarray(0, 1), bytes.subarray(1)]), ["한글"]);
  });

  it("cuts an over-long line into bounded pieces", () => {
    assert.deepEqual(split([Buffer.from("abcdefg\n")], 3), ["abc", "def", "g"]);
    assert.deepEqual(split([Buffer.from("abcdefg")], 3), ["abc", "def", "g"]);
  });
});

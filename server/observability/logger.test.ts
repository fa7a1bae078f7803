import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { createLogger } from "./logger.ts";

async function firstLine(language: "en" | "ko"): Promise<Record<string, unknown>> {
  const out = new PassThrough();
  const lines: string[] = [];
  out.on("data", (chunk: Buffer) => lines.push(chunk.toString()));
  createLogger({ language, destination: out }).info("pipelineStarted", { pipelineId: "p1" });
  await new Promise((resolve) => setImmediate(resolve));
  return JSON.parse(lines.join("").split("\n")[0] ?? "") as Record<string, unknown>;
}

describe("createLogger", () => {
  it("writes machine fields and an English message", async () => {
    const line = await firstLine("en");
    assert.equal(line.pipelineId, "p1");
    assert.equal(line.event, "pipelineStarted");
    assert.equal(line.msg, "▶️ pipeline started");
  });

  it("writes the same fields with a Korean message when asked", async () => {
    const line = await firstLine("ko");
    assert.equal(line.event, "pipelineStarted");
    assert.equal(line.msg, "▶️ 파이프라인 시작");
  });
});

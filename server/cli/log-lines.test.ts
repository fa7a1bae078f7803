import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import {
  BuildLogEntrySchema,
  LogEntrySchema,
  LogStream,
} from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { buildLogPrefix, logText } from "./log-lines.ts";

describe("log lines", () => {
  it("prints output lines as they are, without a trailing newline", () => {
    const entry = create(LogEntrySchema, { line: "hello\n", stream: LogStream.STDOUT });
    assert.equal(logText(entry), "hello");
  });

  it("marks Ottoscaler's own lines", () => {
    const entry = create(LogEntrySchema, { line: "10 lines dropped", stream: LogStream.SYSTEM });
    assert.equal(logText(entry), "[ottoscaler] 10 lines dropped");
  });

  it("prefixes build logs with stage/worker, and the attempt after the first", () => {
    const entry = create(LogEntrySchema, { workerId: "w-7", line: "x" });
    const first = create(BuildLogEntrySchema, { stageId: "lint", attempt: 1, entry });
    const retry = create(BuildLogEntrySchema, { stageId: "lint", attempt: 2, entry });
    assert.equal(buildLogPrefix(first), "lint/w-7");
    assert.equal(buildLogPrefix(retry), "lint#2/w-7");
  });

  it("leaves out the pipeline and stage when the worker id starts with them", () => {
    const entry = create(LogEntrySchema, { workerId: "p-1.unit-test.a2.w0", line: "x" });
    const build = create(BuildLogEntrySchema, {
      pipelineId: "p-1",
      stageId: "unit-test",
      attempt: 2,
      entry,
    });
    assert.equal(buildLogPrefix(build), "unit-test/a2.w0");
  });
});

import assert from "node:assert/strict";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type PipelineProgress,
  type PipelineRequestSchema,
  PipelineStatus,
} from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { collect, type TestServer } from "./test-server.ts";

/** A pipeline run to its end through the API, with what tests ask of it. */
export interface FinishedPipeline {
  pipelineId: string;
  events: PipelineProgress[];
  /** The pipeline's last status and message. */
  status: string;
  message: string;
  /** A stage's last status ("" if it has no event) and message. */
  stage(stageId: string): { status: string; message: string };
  /** A stage's output lines, all its workers together. */
  lines(stageId: string): Promise<string[]>;
}

/** Runs a pipeline over the Connect protocol and reads its progress to the end. */
export async function runPipeline(
  t: TestServer,
  request: MessageInitShape<typeof PipelineRequestSchema>,
  onEvent?: (event: PipelineProgress) => void,
): Promise<FinishedPipeline> {
  const { ottoscaler, logs } = t.clients("connect");
  const events: PipelineProgress[] = [];
  for await (const event of ottoscaler.executePipeline(request)) {
    events.push(event);
    onEvent?.(event);
  }
  const last = (stageId: string) => events.findLast((e) => e.stageId === stageId);
  const pipelineId = events[0]?.pipelineId ?? "";
  const end = last("");
  return {
    pipelineId,
    events,
    status: PipelineStatus[end?.status ?? PipelineStatus.UNSPECIFIED] ?? "",
    message: end?.message ?? "",
    stage(stageId) {
      const event = last(stageId);
      return {
        status: event === undefined ? "" : (PipelineStatus[event.status] ?? ""),
        message: event?.message ?? "",
      };
    },
    async lines(stageId) {
      const entries = await collect(logs.streamBuildLogs({ pipelineId, stageId }));
      return entries.map((e) => e.entry?.line ?? "");
    },
  };
}

/** The message of the InvalidArgument a pipeline is refused with (fails if it is accepted). */
export async function refusal(
  t: TestServer,
  request: MessageInitShape<typeof PipelineRequestSchema>,
): Promise<string> {
  try {
    for await (const _ of t.clients("connect").ottoscaler.executePipeline(request)) break;
  } catch (error) {
    const e = ConnectError.from(error);
    assert.equal(e.code, Code.InvalidArgument, e.message);
    return e.rawMessage;
  }
  return assert.fail("the pipeline was accepted");
}

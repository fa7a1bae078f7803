import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  BuildLogEntrySchema,
  type LogEntry,
  LogEntrySchema,
  LogStream,
  type LogStreamingService,
} from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import type { App } from "../app.ts";
import { validateBuildIdentifier, validateWorkerIdentifier } from "./validate.ts";

/** Says, in the stream itself, that older lines are gone. */
function droppedMarker(workerId: string, dropped: number): LogEntry {
  return create(LogEntrySchema, {
    workerId,
    line: `[ottoscaler] ${dropped} earlier line(s) dropped: over the in-memory log limit`,
    stream: LogStream.SYSTEM,
    timestamp: timestampNow(),
    droppedLines: BigInt(dropped),
  });
}

export function createLogStreamingService(app: App): ServiceImpl<typeof LogStreamingService> {
  const { logs, engine } = app;
  return {
    async *streamWorkerLogs(req, ctx) {
      const workerId = validateWorkerIdentifier(req);
      const log = logs.worker(workerId);
      if (log === undefined)
        throw new ConnectError(`workerId: no worker "${workerId}"`, Code.NotFound);
      const signal = ctx.signal;
      for await (const read of log.read({ follow: req.follow, signal })) {
        yield "item" in read ? read.item : droppedMarker(workerId, read.dropped);
      }
    },

    async *streamBuildLogs(req, ctx) {
      validateBuildIdentifier(req);
      const run = engine.get(req.pipelineId);
      if (req.stageId !== "" && !run.hasStage(req.stageId)) {
        throw new ConnectError(
          `stageId: pipeline "${req.pipelineId}" has no stage "${req.stageId}"`,
          Code.NotFound,
        );
      }
      const log = logs.build(run.id);
      if (log === undefined) return;
      const signal = ctx.signal;
      for await (const read of log.read({ follow: req.follow, signal })) {
        if ("dropped" in read) {
          yield create(BuildLogEntrySchema, {
            pipelineId: run.id,
            stageId: req.stageId,
            entry: droppedMarker("", read.dropped),
          });
        } else if (req.stageId === "" || read.item.stageId === req.stageId) {
          yield read.item;
        }
      }
    },
  };
}

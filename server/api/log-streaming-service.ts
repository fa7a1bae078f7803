import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { LogStream, type LogStreamingService } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import type { App } from "../app.ts";
import { PipelineRun } from "../engine/pipeline-run.ts";
import { readBuildLog, readWorkerLog } from "../logs/log-reads.ts";
import { validateBuildIdentifier, validateWorkerIdentifier } from "./validate.ts";

export function createLogStreamingService(app: App): ServiceImpl<typeof LogStreamingService> {
  const { logs, engine, forwarding } = app;
  return {
    async *streamWorkerLogs(req, ctx) {
      const workerId = validateWorkerIdentifier(req);
      const log = readWorkerLog(logs, workerId, { follow: req.follow, signal: ctx.signal });
      if (log === undefined) {
        throw new ConnectError(`workerId: no worker "${workerId}"`, Code.NotFound);
      }
      yield* log;
    },

    async *streamBuildLogs(req, ctx) {
      validateBuildIdentifier(req);
      const found = engine.find(req.pipelineId);
      const hasStage =
        found instanceof PipelineRun
          ? found.hasStage(req.stageId)
          : found.summary.stages.some((stage) => stage.id === req.stageId);
      if (req.stageId !== "" && !hasStage) {
        throw new ConnectError(
          `stageId: pipeline "${req.pipelineId}" has no stage "${req.stageId}"`,
          Code.NotFound,
        );
      }
      const log = readBuildLog(logs, req.pipelineId, { follow: req.follow, signal: ctx.signal });
      if (log === undefined) return;
      for await (const entry of log) {
        // Markers of missing lines (SYSTEM) concern every stage.
        const system = entry.entry?.stream === LogStream.SYSTEM;
        if (req.stageId === "" || entry.stageId === req.stageId || system) yield entry;
      }
    },

    getLogForwardingStatus() {
      return forwarding.status();
    },
  };
}

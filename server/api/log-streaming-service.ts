import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { LogStream, type LogStreamingService } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import type { ApiDeps } from "./api-deps.ts";
import { validateBuildIdentifier, validateWorkerIdentifier } from "./validate.ts";

export function createLogStreamingService(app: ApiDeps): ServiceImpl<typeof LogStreamingService> {
  const { logs, engine, forwarding } = app;
  return {
    async *streamWorkerLogs(req, ctx) {
      const workerId = validateWorkerIdentifier(req);
      const log = logs.workerLog(workerId, { follow: req.follow, signal: ctx.signal });
      if (log === undefined) {
        throw new ConnectError(`workerId: no worker "${workerId}"`, Code.NotFound);
      }
      yield* log;
    },

    async *streamBuildLogs(req, ctx) {
      validateBuildIdentifier(req);
      const pipeline = engine.view(req.pipelineId);
      if (req.stageId !== "" && !pipeline.hasStage(req.stageId)) {
        throw new ConnectError(
          `stageId: pipeline "${req.pipelineId}" has no stage "${req.stageId}"`,
          Code.NotFound,
        );
      }
      const log = logs.buildLog(req.pipelineId, { follow: req.follow, signal: ctx.signal });
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

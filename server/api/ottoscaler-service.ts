import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";
import {
  CancelPipelineResponseSchema,
  ListPipelinesResponseSchema,
} from "../../gen/ottoscaler/v1/pipeline_pb.js";
import {
  ScaleResponseSchema,
  type WorkerEvent,
  WorkerEventSchema,
  WorkerEventType,
  WorkerStatusResponseSchema,
} from "../../gen/ottoscaler/v1/worker_pb.js";
import { validTraceparent } from "../observability/trace-context.ts";
import { matches } from "../workers/worker-registry.ts";
import type { ApiDeps } from "./api-deps.ts";
import { checkSecretAccess } from "./secret-access.ts";
import {
  validatePipelineRef,
  validatePipelineRequest,
  validateScaleDown,
  validateScaleUp,
  validateWatchPipeline,
  validateWorkerFilter,
} from "./validate.ts";

export function createOttoscalerService(app: ApiDeps): ServiceImpl<typeof OttoscalerService> {
  const { config, engine, tasks, registry } = app;
  return {
    async scaleUp(req, ctx) {
      const spec = validateScaleUp(req, config);
      await checkSecretAccess(app.auth, ctx, [{ field: "secretEnv", secretEnv: spec.secretEnv }]);
      const result = await tasks.scaleUp(spec, spec.count);
      return create(ScaleResponseSchema, {
        taskId: spec.taskId,
        workers: result.workers,
        changedWorkerIds: result.changed,
      });
    },

    async scaleDown(req) {
      const { taskId, count } = validateScaleDown(req, config);
      const result = await tasks.scaleDown(taskId, count);
      return create(ScaleResponseSchema, {
        taskId,
        workers: result.workers,
        changedWorkerIds: result.changed,
      });
    },

    getWorkerStatus(req) {
      const filter = validateWorkerFilter(req);
      return create(WorkerStatusResponseSchema, { workers: registry.list(filter) });
    },

    async *watchWorkers(req, ctx) {
      const filter = validateWorkerFilter(req);
      const signal = ctx.signal;
      const event = (type: WorkerEventType, worker?: WorkerEvent["worker"]) =>
        create(WorkerEventSchema, { type, ...(worker !== undefined && { worker }) });
      // Snapshot, then changes; a watcher that falls too far behind gets a fresh snapshot.
      for (;;) {
        const from = registry.changes.end;
        for (const worker of registry.list(filter)) yield event(WorkerEventType.SNAPSHOT, worker);
        yield event(WorkerEventType.SYNCED);
        let behind = false;
        for await (const read of registry.changes.read({ from, follow: true, signal })) {
          if ("dropped" in read) {
            behind = true;
            break;
          }
          if (matches(read.item, filter)) yield event(WorkerEventType.UPDATE, read.item);
        }
        if (!behind) return;
      }
    },

    async *executePipeline(req, ctx) {
      const traceparent = validTraceparent(ctx.requestHeader.get("traceparent"));
      const spec = {
        ...validatePipelineRequest(req, config),
        ...(traceparent !== undefined && { traceparent }),
      };
      await checkSecretAccess(app.auth, ctx, [
        ...spec.stages.map((s, i) => ({ field: `stages[${i}].secretEnv`, secretEnv: s.secretEnv })),
        ...(spec.finally ?? []).map((s, i) => ({
          field: `finally[${i}].secretEnv`,
          secretEnv: s.secretEnv,
        })),
      ]);
      const run = await engine.start(spec);
      // The pipeline outlives this stream: a client that leaves can WatchPipeline again.
      yield* run.progress({ signal: ctx.signal });
    },

    async *watchPipeline(req, ctx) {
      const { pipelineId, fromSequence } = validateWatchPipeline(req);
      yield* engine.view(pipelineId).progress({ signal: ctx.signal, fromSequence });
    },

    async cancelPipeline(req) {
      const pipelineId = validatePipelineRef(req);
      const pipeline = await engine.cancel(
        pipelineId,
        req.reason === "" ? "cancelled by request" : req.reason,
      );
      return create(CancelPipelineResponseSchema, { pipeline });
    },

    listPipelines() {
      return create(ListPipelinesResponseSchema, { pipelines: engine.list() });
    },
  };
}

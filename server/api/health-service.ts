import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../gen/grpc/health/v1/health_pb.js";
import { LogStreamingService } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";
import type { ApiDeps } from "./api-deps.ts";

const services = new Set(["", OttoscalerService.typeName, LogStreamingService.typeName]);

/** grpc.health.v1: SERVING once the executor is ready, NOT_SERVING while it is not or when stopping. */
export function createHealthService(app: ApiDeps): ServiceImpl<typeof Health> {
  const status = (service: string) => {
    if (!services.has(service))
      throw new ConnectError(`service: unknown service "${service}"`, Code.NotFound);
    return app.ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  };
  return {
    check(req) {
      return create(HealthCheckResponseSchema, { status: status(req.service) });
    },
    async *watch(req, ctx) {
      if (!services.has(req.service)) {
        yield create(HealthCheckResponseSchema, { status: ServingStatus.SERVICE_UNKNOWN });
        return;
      }
      const signal = AbortSignal.any([ctx.signal, app.stopping]);
      let last: ServingStatus | undefined;
      while (!ctx.signal.aborted) {
        const now = status(req.service);
        if (now !== last) yield create(HealthCheckResponseSchema, { status: now });
        last = now;
        if (signal.aborted) return;
        // Readiness has no event of its own; a second is quick enough for probes.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          signal.addEventListener(
            "abort",
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      }
    },
  };
}

import type { ConnectRouter } from "@connectrpc/connect";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionAlpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { AuditService } from "../../gen/ottoscaler/v1/audit_pb.js";
import { LogStreamingService } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";
import type { ApiDeps } from "./api-deps.ts";
import { createAuditService } from "./audit-service.ts";
import { withConnectErrors } from "./connect-errors.ts";
import { createHealthService } from "./health-service.ts";
import { createLogStreamingService } from "./log-streaming-service.ts";
import { createOttoscalerService } from "./ottoscaler-service.ts";
import { createReflection } from "./reflection-service.ts";

/** Registers every service of the API, and gRPC reflection of them all. */
export function routes(app: ApiDeps) {
  return (router: ConnectRouter): void => {
    router.service(OttoscalerService, withConnectErrors(createOttoscalerService(app)));
    router.service(LogStreamingService, withConnectErrors(createLogStreamingService(app)));
    router.service(AuditService, withConnectErrors(createAuditService(app)));
    router.service(Health, withConnectErrors(createHealthService(app)));
    const reflection = createReflection([
      OttoscalerService,
      LogStreamingService,
      AuditService,
      Health,
    ]);
    router.service(ServerReflection, reflection.v1);
    router.service(ServerReflectionAlpha, reflection.v1alpha);
  };
}

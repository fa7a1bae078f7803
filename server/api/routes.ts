import type { ConnectRouter } from "@connectrpc/connect";
import { LogStreamingService } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";
import type { App } from "../app.ts";
import { createLogStreamingService } from "./log-streaming-service.ts";
import { createOttoscalerService } from "./ottoscaler-service.ts";

/** Registers every service of the API. */
export function routes(app: App) {
  return (router: ConnectRouter): void => {
    router.service(OttoscalerService, createOttoscalerService(app));
    router.service(LogStreamingService, createLogStreamingService(app));
  };
}

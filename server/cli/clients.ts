import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { LogStreamingService } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";

export interface Clients {
  ottoscaler: Client<typeof OttoscalerService>;
  logs: Client<typeof LogStreamingService>;
}

export function createClients(transport: Transport): Clients {
  return {
    ottoscaler: createClient(OttoscalerService, transport),
    logs: createClient(LogStreamingService, transport),
  };
}

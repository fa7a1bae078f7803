import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { AuditService } from "../../gen/ottoscaler/v1/audit_pb.js";
import { LogStreamingService } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";

export interface Clients {
  ottoscaler: Client<typeof OttoscalerService>;
  logs: Client<typeof LogStreamingService>;
  audit: Client<typeof AuditService>;
}

export function createClients(transport: Transport): Clients {
  return {
    ottoscaler: createClient(OttoscalerService, transport),
    logs: createClient(LogStreamingService, transport),
    audit: createClient(AuditService, transport),
  };
}

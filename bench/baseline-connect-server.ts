/**
 * The idle-memory baseline, run as a process of its own: a bare connect-node
 * server of the same services on an HTTP/2 port (GetWorkerStatus answers an
 * empty list; the rest is left unimplemented). Prints its port when listening.
 */
import http2 from "node:http2";
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { AuditService } from "../gen/ottoscaler/v1/audit_pb.js";
import { LogStreamingService } from "../gen/ottoscaler/v1/log_streaming_pb.js";
import { OttoscalerService } from "../gen/ottoscaler/v1/ottoscaler_pb.js";
import { WorkerStatusResponseSchema } from "../gen/ottoscaler/v1/worker_pb.js";

const handler = connectNodeAdapter({
  routes(router) {
    router.service(OttoscalerService, {
      getWorkerStatus: () => create(WorkerStatusResponseSchema, { workers: [] }),
    });
    router.service(LogStreamingService, {});
    router.service(AuditService, {});
    router.service(Health, {});
  },
});
const server = http2.createServer(handler);
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === "object" && address ? address.port : 0}\n`);
});
process.once("SIGTERM", () => server.close(() => process.exit(0)));

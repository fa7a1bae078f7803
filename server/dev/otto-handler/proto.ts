import { fileURLToPath } from "node:url";
import type { ServiceDefinition } from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const protoDir = fileURLToPath(new URL("../../../proto/", import.meta.url));
const serviceName = "otto.handler.v1.OttoHandlerIngestService";

/**
 * The ingest service loaded from the .proto files at run time, as a typical @grpc/grpc-js
 * project would (no generated code; google/protobuf/* come with protobufjs). Messages are plain
 * objects: uint64 as strings, enums by name, unset fields at their defaults, `kind` set to the
 * name of the oneof member present.
 */
export function loadIngestService(): ServiceDefinition {
  const definition = protoLoader.loadSync("otto/handler/v1/handler.proto", {
    includeDirs: [protoDir],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const service = definition[serviceName];
  if (service === undefined || "format" in service) {
    throw new Error(`${serviceName} is not a service in the loaded protos`);
  }
  return service as ServiceDefinition;
}

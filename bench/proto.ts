import { fileURLToPath } from "node:url";
import * as protoLoader from "@grpc/proto-loader";

/** The repository's proto/ folder, the include root of every .proto file. */
export const protoDir = fileURLToPath(new URL("../proto/", import.meta.url));

export const serviceName = "ottoscaler.v1.OttoscalerService";

/** A method as @grpc/proto-loader describes it: plain objects in and out. */
export type PlainMethod = protoLoader.MethodDefinition<object, object>;

/**
 * The Ottoscaler service loaded at run time from the .proto files, the way a
 * typical @grpc/grpc-js project does it (no generated code).
 */
export function loadOttoscalerDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync("ottoscaler/v1/ottoscaler.proto", {
    includeDirs: [protoDir],
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
}

export function serviceOf(
  definition: protoLoader.PackageDefinition,
): protoLoader.ServiceDefinition {
  const service = definition[serviceName];
  if (service === undefined || "format" in service) {
    throw new Error(`${serviceName} is not a service in the loaded protos`);
  }
  return service as protoLoader.ServiceDefinition;
}

export function getWorkerStatusMethod(definition: protoLoader.PackageDefinition): PlainMethod {
  const method = serviceOf(definition).GetWorkerStatus;
  if (method === undefined) throw new Error(`${serviceName} has no GetWorkerStatus method`);
  return method;
}

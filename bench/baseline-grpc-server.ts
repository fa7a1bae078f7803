import * as grpc from "@grpc/grpc-js";
import type { PackageDefinition } from "@grpc/proto-loader";
import { serviceOf } from "./proto.ts";

export interface BaselineServer {
  /** host:port, as a @grpc/grpc-js client wants it. */
  address: string;
  close(): Promise<void>;
}

/**
 * A plain @grpc/grpc-js server for the same proto: GetWorkerStatus answers
 * with `response` (a proto-loader plain object, serialized on every call);
 * the other methods are left to grpc-js, which answers UNIMPLEMENTED.
 */
export async function startBaselineServer(
  definition: PackageDefinition,
  response: object,
): Promise<BaselineServer> {
  const server = new grpc.Server();
  server.addService(serviceOf(definition) as grpc.ServiceDefinition, {
    GetWorkerStatus(
      _call: grpc.ServerUnaryCall<object, object>,
      callback: grpc.sendUnaryData<object>,
    ) {
      callback(null, response);
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    );
  });
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), 5_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

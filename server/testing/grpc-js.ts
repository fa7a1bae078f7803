import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const protoRoot = path.resolve(import.meta.dirname, "../../proto");

/** Every method of our protos as @grpc/grpc-js sees them, by "package.Service/Method". */
const definitions = protoLoader.loadSync(
  [
    "ottoscaler/v1/ottoscaler.proto",
    "ottoscaler/v1/log_streaming.proto",
    "grpc/health/v1/health.proto",
    "ottoscaler/v1/audit.proto",
    "grpc/reflection/v1/reflection.proto",
    "grpc/reflection/v1alpha/reflection.proto",
  ],
  { includeDirs: [protoRoot], enums: String, defaults: true, longs: String },
);
const methods = new Map<string, protoLoader.MethodDefinition<object, object>>();
for (const service of Object.values(definitions)) {
  if ("format" in service) continue; // a message or an enum
  for (const method of Object.values(service)) {
    methods.set(method.path.slice(1), method as protoLoader.MethodDefinition<object, object>);
  }
}

/** Every method path the protos declare. */
export const methodPaths: readonly string[] = [...methods.keys()];

/** What a call ended with: the status code (0 OK), its details, the messages received. */
export interface CallOutcome {
  code: grpc.status;
  details: string;
  messages: object[];
}

/**
 * A grpc-js client for any method by path, independent of the server's
 * Connect code. A server stream is read to its end, or until `take`
 * messages have come (then cancelled: an OK outcome for a stream that goes on).
 */
export class GrpcJsPeer {
  readonly client: grpc.Client;

  constructor(
    address: string,
    credentials: grpc.ChannelCredentials,
    options: grpc.ChannelOptions = {},
  ) {
    this.client = new grpc.Client(address, credentials, options);
  }

  call(
    method: string,
    request: object,
    options: { token?: string; take?: number; metadata?: Record<string, string> } = {},
  ): Promise<CallOutcome> {
    const def = methods.get(method);
    if (def === undefined) throw new Error(`no method ${method} in the protos`);
    const metadata = new grpc.Metadata();
    if (options.token !== undefined) metadata.set("authorization", `Bearer ${options.token}`);
    for (const [k, v] of Object.entries(options.metadata ?? {})) metadata.set(k, v);
    const messages: object[] = [];
    const done = (error: grpc.ServiceError | null): CallOutcome =>
      error === null
        ? { code: grpc.status.OK, details: "", messages }
        : { code: error.code, details: decodeURIComponent(error.details), messages };
    if (!def.responseStream) {
      return new Promise((resolve) => {
        this.client.makeUnaryRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          request,
          metadata,
          (error, response) => {
            if (response !== undefined) messages.push(response);
            resolve(done(error));
          },
        );
      });
    }
    return new Promise((resolve) => {
      // A bidi stream (reflection's) gets the one request, then the end of the client's side.
      const stream = def.requestStream
        ? this.client.makeBidiStreamRequest(
            def.path,
            def.requestSerialize,
            def.responseDeserialize,
            metadata,
          )
        : this.client.makeServerStreamRequest(
            def.path,
            def.requestSerialize,
            def.responseDeserialize,
            request,
            metadata,
          );
      if (def.requestStream) {
        (stream as grpc.ClientDuplexStream<object, object>).write(request);
        (stream as grpc.ClientDuplexStream<object, object>).end();
      }
      let cancelled = false;
      stream.on("data", (message: object) => {
        messages.push(message);
        if (options.take !== undefined && messages.length >= options.take && !cancelled) {
          cancelled = true;
          stream.cancel();
        }
      });
      stream.on("error", (error: grpc.ServiceError) =>
        resolve(cancelled && error.code === grpc.status.CANCELLED ? done(null) : done(error)),
      );
      stream.on("end", () => resolve(done(null)));
    });
  }

  close(): void {
    this.client.close();
  }
}

import {
  create,
  type DescFile,
  type DescMessage,
  type DescService,
  fromBinary,
  type MessageInitShape,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import {
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflectionRequestSchema as AlphaRequestSchema,
  ServerReflectionResponseSchema as AlphaResponseSchema,
  ServerReflection as ServerReflectionAlpha,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

/** The reflection services themselves, served and listed beside the others. */
export const reflectionServices: readonly DescService[] = [ServerReflection, ServerReflectionAlpha];

type Answer = NonNullable<
  MessageInitShape<typeof ServerReflectionResponseSchema>["messageResponse"]
>;

/** `roots` and every file they import, by name, each once. */
function withImports(roots: readonly DescFile[]): Map<string, DescFile> {
  const files = new Map<string, DescFile>();
  const add = (file: DescFile): void => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    for (const dep of file.dependencies) add(dep);
  };
  for (const root of roots) add(root);
  return files;
}

/** Every fully-qualified name a file declares (services, methods, messages, enums, fields), to its file. */
function symbolsOf(files: Iterable<DescFile>): Map<string, DescFile> {
  const symbols = new Map<string, DescFile>();
  const addMessage = (file: DescFile, message: DescMessage): void => {
    symbols.set(message.typeName, file);
    for (const field of message.fields) symbols.set(`${message.typeName}.${field.name}`, file);
    for (const nested of message.nestedMessages) addMessage(file, nested);
    for (const nested of message.nestedEnums) symbols.set(nested.typeName, file);
    for (const ext of message.nestedExtensions) symbols.set(ext.typeName, file);
  };
  for (const file of files) {
    for (const message of file.messages) addMessage(file, message);
    for (const e of file.enums) symbols.set(e.typeName, file);
    for (const ext of file.extensions) symbols.set(ext.typeName, file);
    for (const service of file.services) {
      symbols.set(service.typeName, file);
      for (const method of service.methods) symbols.set(`${service.typeName}.${method.name}`, file);
    }
  }
  return symbols;
}

/**
 * gRPC server reflection (v1, and v1alpha with the same messages) for
 * `served` and for itself: grpcurl, `buf curl --reflect` and grpcio read our
 * services, methods and messages without the proto files. A file comes with
 * every file it imports, each time.
 */
export function createReflection(served: readonly DescService[]): {
  v1: ServiceImpl<typeof ServerReflection>;
  v1alpha: ServiceImpl<typeof ServerReflectionAlpha>;
} {
  const services = [...served, ...reflectionServices];
  const files = withImports(services.map((s) => s.file));
  const symbols = symbolsOf(files.values());
  const names = services.map((s) => s.typeName).sort();
  const described = (file: DescFile): Answer => ({
    case: "fileDescriptorResponse",
    value: {
      fileDescriptorProto: [...withImports([file]).values()].map((f) =>
        toBinary(FileDescriptorProtoSchema, f.proto),
      ),
    },
  });
  const notFound = (what: string): Answer => ({
    case: "errorResponse",
    value: { errorCode: Code.NotFound, errorMessage: `${what} not found` },
  });
  const answer = (req: ServerReflectionRequest): Answer => {
    const { case: kind, value } = req.messageRequest;
    switch (kind) {
      case "listServices":
        return {
          case: "listServicesResponse",
          value: { service: names.map((name) => ({ name })) },
        };
      case "fileByFilename": {
        const file = files.get(value);
        return file === undefined ? notFound(`file "${value}"`) : described(file);
      }
      case "fileContainingSymbol": {
        const file = symbols.get(value);
        return file === undefined ? notFound(`symbol "${value}"`) : described(file);
      }
      case "fileContainingExtension":
        // No file here extends a message.
        return notFound(`extension ${value.extensionNumber} of "${value.containingType}"`);
      case "allExtensionNumbersOfType":
        return symbols.has(value)
          ? {
              case: "allExtensionNumbersResponse",
              value: { baseTypeName: value, extensionNumber: [] },
            }
          : notFound(`type "${value}"`);
      default:
        return {
          case: "errorResponse",
          value: { errorCode: Code.InvalidArgument, errorMessage: "no request in the message" },
        };
    }
  };
  const respond = (req: ServerReflectionRequest) =>
    create(ServerReflectionResponseSchema, {
      validHost: req.host,
      originalRequest: req,
      messageResponse: answer(req),
    });
  return {
    v1: {
      async *serverReflectionInfo(requests) {
        for await (const req of requests) yield respond(req);
      },
    },
    // The same messages on the wire: v1alpha is answered as v1 is.
    v1alpha: {
      async *serverReflectionInfo(requests) {
        for await (const req of requests) {
          const v1 = fromBinary(ServerReflectionRequestSchema, toBinary(AlphaRequestSchema, req));
          yield fromBinary(
            AlphaResponseSchema,
            toBinary(ServerReflectionResponseSchema, respond(v1)),
          );
        }
      },
    },
  };
}

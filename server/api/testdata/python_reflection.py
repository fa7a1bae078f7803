"""Reads a service's descriptor by gRPC reflection, with messages Debian's protoc generated.

Usage: python_reflection.py GENERATED_DIR HOST:PORT SERVICE

GENERATED_DIR holds reflection_v1_pb2.py (protoc --python_out of our reflection proto).
Prints the services the server lists, one "service NAME" line each, then one
"method NAME INPUT OUTPUT" line per method of SERVICE, from the descriptor the server sent.
"""

import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
import reflection_v1_pb2 as reflection  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool  # noqa: E402

METHOD = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"


def main():
    _, target, service = sys.argv[1:]
    with grpc.insecure_channel(target, options=[("grpc.enable_http_proxy", 0)]) as channel:
        info = channel.stream_stream(
            METHOD,
            request_serializer=reflection.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection.ServerReflectionResponse.FromString,
        )
        requests = [
            reflection.ServerReflectionRequest(list_services=""),
            reflection.ServerReflectionRequest(file_containing_symbol=service),
        ]
        listed, described = list(info(iter(requests), timeout=10))
    for s in listed.list_services_response.service:
        print("service", s.name)
    files = {}
    for raw in described.file_descriptor_response.file_descriptor_proto:
        proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
        files[proto.name] = proto
    pool = descriptor_pool.DescriptorPool()

    def add(name):
        proto = files.pop(name, None)
        if proto is None:
            return
        for dep in proto.dependency:
            add(dep)
        pool.Add(proto)

    while files:
        add(next(iter(files)))
    for m in pool.FindServiceByName(service).methods:
        print("method", m.name, m.input_type.full_name, m.output_type.full_name)


if __name__ == "__main__":
    main()

"""A Python grpcio peer over TLS with bearer tokens, without generated stubs.

Usage: VIEWER_TOKEN=... OPERATOR_TOKEN=... python_tokens_peer.py HOST:PORT CA_FILE REQUEST_HEX

Tokens come in the environment, not the command line. Prints one line each:
  progress HEX            every PipelineProgress of ExecutePipeline(REQUEST) as the operator
  worker-status HEX       GetWorkerStatus with an empty request, as the viewer
  denied CODE DETAILS     ExecutePipeline(REQUEST) as the viewer
  anonymous CODE DETAILS  GetWorkerStatus without a token
Any other failure raises, so the exit code is not 0.
"""

import os
import sys

import grpc

SERVICE = "/ottoscaler.v1.OttoscalerService/"


def identity(data):
    return data


def refusal(label, call):
    try:
        call()
    except grpc.RpcError as e:
        print(label, e.code().name, e.details(), flush=True)
    else:
        raise SystemExit(label + ": the call was not refused")


def main():
    target, ca_file, request_hex = sys.argv[1:]
    with open(ca_file, "rb") as f:
        credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
    as_viewer = grpc.access_token_call_credentials(os.environ["VIEWER_TOKEN"])
    as_operator = grpc.access_token_call_credentials(os.environ["OPERATOR_TOKEN"])
    request = bytes.fromhex(request_hex)
    # Loopback only: never through an http_proxy from the environment.
    options = [("grpc.enable_http_proxy", 0)]
    with grpc.secure_channel(target, credentials, options=options) as channel:
        execute_pipeline = channel.unary_stream(
            SERVICE + "ExecutePipeline",
            request_serializer=identity,
            response_deserializer=identity,
        )
        get_worker_status = channel.unary_unary(
            SERVICE + "GetWorkerStatus",
            request_serializer=identity,
            response_deserializer=identity,
        )

        for message in execute_pipeline(request, timeout=60, credentials=as_operator):
            print("progress", message.hex(), flush=True)

        status = get_worker_status(b"", timeout=10, credentials=as_viewer)
        print("worker-status", status.hex(), flush=True)

        refusal("denied", lambda: list(execute_pipeline(request, timeout=10, credentials=as_viewer)))
        refusal("anonymous", lambda: get_worker_status(b"", timeout=10))


if __name__ == "__main__":
    main()

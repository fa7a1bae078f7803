"""A Python grpcio peer for Ottoscaler, without generated stubs: raw bytes in and out.

Usage: python_peer.py HOST:PORT PIPELINE_REQUEST_HEX

Runs, in order, and prints one line each:
  progress HEX        every PipelineProgress of ExecutePipeline(PIPELINE_REQUEST)
  worker-status HEX   the WorkerStatusResponse of GetWorkerStatus with an empty request
  error CODE DETAILS  the status ExecutePipeline of an empty pipeline ends with

The caller serializes the request and parses the messages. Any other failure raises,
so the exit code is not 0.
"""

import sys

import grpc

SERVICE = "/ottoscaler.v1.OttoscalerService/"


def identity(data):
    return data


def main():
    target, request_hex = sys.argv[1:]
    # Loopback only: never through an http_proxy from the environment.
    with grpc.insecure_channel(target, options=[("grpc.enable_http_proxy", 0)]) as channel:
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

        for message in execute_pipeline(bytes.fromhex(request_hex), timeout=60):
            print("progress", message.hex(), flush=True)

        print("worker-status", get_worker_status(b"", timeout=10).hex(), flush=True)

        try:
            for message in execute_pipeline(b"", timeout=10):
                print("unexpected-progress", message.hex(), flush=True)
        except grpc.RpcError as e:
            print("error", e.code().name, e.details(), flush=True)
        else:
            raise SystemExit("ExecutePipeline of an empty pipeline did not fail")


if __name__ == "__main__":
    main()

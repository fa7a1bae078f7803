"""Calls a method the server does not serve; prints CODE DETAILS of the status it gets.

Usage: python_unknown_method.py HOST:PORT /package.Service/Method
"""

import sys

import grpc


def main():
    target, method = sys.argv[1:]
    with grpc.insecure_channel(target, options=[("grpc.enable_http_proxy", 0)]) as channel:
        call = channel.unary_unary(method, request_serializer=bytes, response_deserializer=bytes)
        try:
            call(b"", timeout=10)
        except grpc.RpcError as e:
            print(e.code().name, e.details(), flush=True)
        else:
            raise SystemExit("the unknown method answered")


if __name__ == "__main__":
    main()

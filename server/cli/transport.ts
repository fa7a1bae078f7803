import type { Interceptor, Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import type { Protocol } from "./global-options.ts";

/** How a client proves who it is. */
export interface TransportCredentials {
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
}

/** The transport for one protocol: gRPC over HTTP/2, gRPC-Web and Connect (JSON) over HTTP/1.1. */
export function createTransport(
  protocol: Protocol,
  baseUrl: string,
  credentials: TransportCredentials = {},
): Transport {
  const { token } = credentials;
  const authorize: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const interceptors = token === undefined || token === "" ? [] : [authorize];
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors });
    case "connect":
      return createConnectTransport({
        baseUrl,
        httpVersion: "1.1",
        useBinaryFormat: false,
        interceptors,
      });
  }
}

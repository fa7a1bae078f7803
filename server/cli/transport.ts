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
  /** PEM CA(s) to trust for https://, instead of the system's. */
  ca?: string | Buffer;
  /** PEM client certificate and key, for servers in mtls mode. */
  cert?: string | Buffer;
  key?: string | Buffer;
}

/** The transport for one protocol: gRPC over HTTP/2, gRPC-Web and Connect (JSON) over HTTP/1.1. */
export function createTransport(
  protocol: Protocol,
  baseUrl: string,
  credentials: TransportCredentials = {},
): Transport {
  const { token, ca, cert, key } = credentials;
  const tls = { ...(ca !== undefined && { ca }), ...(cert !== undefined && { cert, key }) };
  const nodeOptions = Object.keys(tls).length === 0 ? {} : { nodeOptions: tls };
  const authorize: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const interceptors = token === undefined || token === "" ? [] : [authorize];
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors, ...nodeOptions });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors, ...nodeOptions });
    case "connect":
      return createConnectTransport({
        baseUrl,
        httpVersion: "1.1",
        useBinaryFormat: false,
        interceptors,
        ...nodeOptions,
      });
  }
}

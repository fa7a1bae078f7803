import { readFileSync } from "node:fs";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OttoHandlerIngestService } from "../../../gen/otto/handler/v1/handler_pb.js";

export interface HandlerDestination {
  /** http://host:port (cleartext HTTP/2) or https://host:port. */
  url: string;
  /** Sent as `authorization: Bearer <token>` when set. */
  token?: string;
  /** PEM file of the CA(s) to trust for https, instead of the system's. */
  caFile?: string;
}

/** A gRPC (HTTP/2) client of Otto-handler's ingest service. */
export function createHandlerClient(
  destination: HandlerDestination,
): Client<typeof OttoHandlerIngestService> {
  const interceptors: Interceptor[] = [];
  const { token } = destination;
  if (token !== undefined && token !== "") {
    interceptors.push((next) => (req) => {
      req.header.set("authorization", `Bearer ${token}`);
      return next(req);
    });
  }
  const ca =
    destination.caFile !== undefined && destination.caFile !== ""
      ? readFileSync(destination.caFile)
      : undefined;
  const transport = createGrpcTransport({
    baseUrl: destination.url,
    interceptors,
    ...(ca !== undefined && { nodeOptions: { ca } }),
    // Notice a dead connection while idle, rather than on the next batch.
    pingIntervalMs: 15_000,
  });
  return createClient(OttoHandlerIngestService, transport);
}

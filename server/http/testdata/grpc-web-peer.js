// A page of the controller's own origin calling it over gRPC-Web in binary with bearer tokens,
// with nothing but fetch. The test calls window.runPeer with the tokens and the request to run.

import { envelope, grpcWebAnswer } from "./envelopes.js";

const service = "/ottoscaler.v1.OttoscalerService";
const fromHex = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

async function call(method, token, requestHex) {
  const headers = { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${service}/${method}`, {
    method: "POST",
    headers,
    body: envelope(0, fromHex(requestHex)),
  });
  return grpcWebAnswer(res);
}

/** A write as the operator, a read and a denial as the viewer, a call without a token. */
window.runPeer = async ({ viewer, operator, pipelineRequestHex }) => {
  const result = {
    write: await call("ExecutePipeline", operator, pipelineRequestHex),
    read: await call("GetWorkerStatus", viewer, ""),
    denied: await call("ExecutePipeline", viewer, pipelineRequestHex),
    anonymous: await call("GetWorkerStatus", undefined, ""),
  };
  // How each call travelled: Resource Timing names the protocol of the connection it used.
  result.protocols = performance
    .getEntriesByType("resource")
    .filter((e) => e.name.includes(service))
    .map((e) => e.nextHopProtocol);
  return result;
};

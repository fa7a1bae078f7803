// Calls Ottoscaler from a browser page with nothing but fetch: no bundler, no client library.
// The server's URL comes in the query string (?server=http://127.0.0.1:9090). Everything the
// page learns ends up in window.peerResult (and on the page) once it is done.

import { concat, envelope, grpcWebAnswer, splitEnvelopes } from "./envelopes.js";

const server = new URL(location.href).searchParams.get("server");
const service = `${server}/ottoscaler.v1.OttoscalerService`;

function show(id, text) {
  document.getElementById(id).textContent = text;
}

/** ExecutePipeline over the Connect streaming protocol, in JSON, read as the events arrive. */
async function executePipeline() {
  const request = {
    pipelineId: "from-the-browser",
    stages: [{ id: "hello", command: ["echo hello from the browser"] }],
  };
  const res = await fetch(`${service}/ExecutePipeline`, {
    method: "POST",
    headers: { "content-type": "application/connect+json", "connect-protocol-version": "1" },
    body: envelope(0, new TextEncoder().encode(JSON.stringify(request))),
  });
  const events = [];
  let endStream;
  let pending = new Uint8Array(0);
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const { envelopes, rest } = splitEnvelopes(concat(pending, value));
    pending = rest;
    for (const { flags, data } of envelopes) {
      const json = JSON.parse(new TextDecoder().decode(data));
      if (flags & 0x02) {
        endStream = { flags, json };
      } else {
        events.push(json);
        show("pipeline-status", json.status);
      }
    }
  }
  return {
    httpStatus: res.status,
    contentType: res.headers.get("content-type"),
    events,
    endStream,
    leftoverBytes: pending.length,
  };
}

/** GetWorkerStatus as Connect unary JSON. */
async function getWorkerStatusJson() {
  const res = await fetch(`${service}/GetWorkerStatus`, {
    method: "POST",
    headers: { "content-type": "application/json", "connect-protocol-version": "1" },
    body: "{}",
  });
  return {
    httpStatus: res.status,
    contentType: res.headers.get("content-type"),
    body: await res.json(),
  };
}

/** GetWorkerStatus over gRPC-Web in binary: an empty message in, data then trailer frames out. */
async function getWorkerStatusGrpcWeb() {
  const res = await fetch(`${service}/GetWorkerStatus`, {
    method: "POST",
    headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
    body: envelope(0, new Uint8Array(0)),
  });
  return grpcWebAnswer(res);
}

async function main() {
  const result = {};
  try {
    // The pipeline first, so the worker status calls have its worker to report.
    result.pipeline = await executePipeline();
    result.json = await getWorkerStatusJson();
    result.grpcWeb = await getWorkerStatusGrpcWeb();
  } catch (e) {
    result.error = { name: e.name, message: e.message };
    show("pipeline-status", `error: ${e.message}`);
  }
  show("result", JSON.stringify(result, null, 2));
  show("state", "done");
  window.peerResult = result;
}

main();

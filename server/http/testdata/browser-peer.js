// Calls Ottoscaler from a browser page with nothing but fetch: no bundler, no client library.
// The server's URL comes in the query string (?server=http://127.0.0.1:9090). Everything the
// page learns ends up in window.peerResult (and on the page) once it is done.

const server = new URL(location.href).searchParams.get("server");
const service = `${server}/ottoscaler.v1.OttoscalerService`;

/** One envelope (gRPC-Web frame or Connect stream message): flags, big-endian length, data. */
function envelope(flags, data) {
  const out = new Uint8Array(5 + data.length);
  new DataView(out.buffer).setUint32(1, data.length);
  out[0] = flags;
  out.set(data, 5);
  return out;
}

/** Splits the whole envelopes off the front of bytes; the rest waits for more bytes. */
function splitEnvelopes(bytes) {
  const envelopes = [];
  let at = 0;
  while (bytes.length - at >= 5) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(1);
    if (bytes.length - at - 5 < length) break;
    envelopes.push({ flags: bytes[at], data: bytes.slice(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return { envelopes, rest: bytes.slice(at) };
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

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
  const { envelopes, rest } = splitEnvelopes(new Uint8Array(await res.arrayBuffer()));
  const frames = envelopes.map(({ flags, data }) => {
    if (!(flags & 0x80)) return { flags, hex: toHex(data) };
    const trailers = {};
    for (const line of new TextDecoder().decode(data).split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon < 1) continue;
      trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { flags, trailers };
  });
  return {
    httpStatus: res.status,
    contentType: res.headers.get("content-type"),
    headerGrpcStatus: res.headers.get("grpc-status"),
    frames,
    leftoverBytes: rest.length,
  };
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

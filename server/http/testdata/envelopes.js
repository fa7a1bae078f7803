// Envelopes as gRPC-Web and the Connect streaming protocol frame messages, for the test pages.

/** One envelope (gRPC-Web frame or Connect stream message): flags, big-endian length, data. */
export function envelope(flags, data) {
  const out = new Uint8Array(5 + data.length);
  new DataView(out.buffer).setUint32(1, data.length);
  out[0] = flags;
  out.set(data, 5);
  return out;
}

/** Splits the whole envelopes off the front of bytes; the rest waits for more bytes. */
export function splitEnvelopes(bytes) {
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

export function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** A whole gRPC-Web answer: status and headers, data frames as hex, the trailer frame parsed. */
export async function grpcWebAnswer(res) {
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
    headerGrpcMessage: res.headers.get("grpc-message"),
    frames,
    leftoverBytes: rest.length,
  };
}

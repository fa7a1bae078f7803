import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { PodLogCapture } from "./pod-log.ts";

/**
 * The log endpoint of an API server whose answer to each read is the next of
 * `reads` (the last one repeats): how the log of a container that has just
 * ended looks while the runtime is still writing its end.
 */
async function logEndpoint(reads: string[]) {
  let served = 0;
  const server = http.createServer((_req, res) => {
    const body = reads[Math.min(served++, reads.length - 1)] ?? "";
    res.writeHead(200, { "content-type": "text/plain" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: "c",
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: "u" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return {
    kc,
    reads: () => served,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

const at = (second: number, line: string) => `2026-11-26T10:00:0${second}.000000001Z ${line}`;

async function capture(reads: string[]) {
  const endpoint = await logEndpoint(reads);
  const lines: string[] = [];
  const log = new PodLogCapture(endpoint.kc, { namespace: "n", pod: "p" }, 1024, (line) =>
    lines.push(line),
  );
  await log.complete();
  endpoint.close();
  return { lines, reads: endpoint.reads() };
}

describe("PodLogCapture", () => {
  it("never passes on a line cut off at the end of a read: it reads again until the log settles", async () => {
    const { lines, reads } = await capture([
      `${at(1, "one")}\n${at(2, "two")}\n${at(3, "thr")}`,
      `${at(1, "one")}\n${at(2, "two")}\n${at(3, "three")}\n${at(4, "four")}\n`,
    ]);
    assert.deepEqual(lines, ["one", "two", "three", "four"]);
    assert.equal(reads, 3, "a read that brought lines is checked by one more");
  });

  it("passes on a last line without a line break once reads stop changing", async () => {
    const { lines } = await capture([`${at(1, "one")}\n${at(2, "no newline")}`]);
    assert.deepEqual(lines, ["one", "no newline"]);
  });

  it("reads once when the log has already settled", async () => {
    const { lines, reads } = await capture([""]);
    assert.deepEqual(lines, []);
    assert.equal(reads, 1);
  });
});

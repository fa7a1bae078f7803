import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { workerContainer } from "./job-spec.ts";

export interface PodLogRequest {
  namespace: string;
  pod: string;
  follow: boolean;
  sinceTime?: string;
}

/**
 * Reads a worker container's log (with timestamps) chunk by chunk. Written
 * on node:https rather than client-node's Log, whose stream crashes the
 * process with an unhandled 'error' when the connection breaks or is aborted.
 * Resolves when the server ends the log; rejects if it breaks off.
 */
export async function readPodLog(
  kc: KubeConfig,
  request: PodLogRequest,
  onChunk: (chunk: Buffer) => void,
  signal?: AbortSignal,
): Promise<void> {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error("no current cluster in the kubeconfig");
  const url = new URL(
    `${cluster.server}/api/v1/namespaces/${request.namespace}/pods/${request.pod}/log`,
  );
  url.searchParams.set("container", workerContainer);
  url.searchParams.set("timestamps", "true");
  if (request.follow) url.searchParams.set("follow", "true");
  if (request.sinceTime !== undefined) url.searchParams.set("sinceTime", request.sinceTime);
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const client = url.protocol === "https:" ? https : http;
  await new Promise<void>((resolve, reject) => {
    const req = client.get(url, { ...options, ...(signal !== undefined && { signal }) }, (res) => {
      if (res.statusCode !== 200) {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () =>
          reject(
            Object.assign(new Error(`log request: HTTP ${res.statusCode}: ${body.slice(0, 300)}`), {
              code: res.statusCode,
            }),
          ),
        );
        res.on("error", reject);
        return;
      }
      res.on("data", onChunk);
      res.on("end", () => resolve());
      res.on("error", reject);
      res.on("aborted", () => reject(new Error("log stream broke off")));
    });
    req.on("error", reject);
  });
}

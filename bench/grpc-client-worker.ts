/**
 * The benchmark client, run in a child process so that its CPU time does not
 * share the servers' event loop. One @grpc/grpc-js client (one HTTP/2
 * channel) per server address, the same code for every server. The parent
 * sends RunRequest messages over IPC and gets a RunReply for each.
 */
import * as grpc from "@grpc/grpc-js";
import { getWorkerStatusMethod, loadOttoscalerDefinition } from "./proto.ts";

export interface RunRequest {
  type: "run";
  id: number;
  /** host:port of the server. */
  address: string;
  calls: number;
  concurrency: number;
}

export type RunReply =
  | {
      type: "result";
      id: number;
      /** Per call, in milliseconds, in issue order. */
      latenciesMs: Float64Array;
      elapsedMs: number;
      /** Workers in the first response of the run, to check the servers agree. */
      workers: number;
    }
  | { type: "error"; id: number; message: string };

export type WorkerMessage = { type: "ready" } | RunReply;

const method = getWorkerStatusMethod(loadOttoscalerDefinition());
const clients = new Map<string, grpc.Client>();

async function clientFor(address: string): Promise<grpc.Client> {
  let client = clients.get(address);
  if (client === undefined) {
    client = new grpc.Client(address, grpc.credentials.createInsecure());
    clients.set(address, client);
    const ready = client;
    await new Promise<void>((resolve, reject) =>
      ready.waitForReady(Date.now() + 10_000, (error) => (error ? reject(error) : resolve())),
    );
  }
  return client;
}

function call(client: grpc.Client): Promise<object> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      {},
      (error, response) => {
        if (error) reject(new Error(`${method.path}: ${error.code} ${error.details}`));
        else resolve(response as object);
      },
    );
  });
}

async function run(request: RunRequest): Promise<RunReply> {
  const client = await clientFor(request.address);
  const latenciesMs = new Float64Array(request.calls);
  let workers = -1;
  let next = 0;
  const lane = async () => {
    while (next < request.calls) {
      const i = next++;
      const started = performance.now();
      const response = await call(client);
      latenciesMs[i] = performance.now() - started;
      if (i === 0) workers = ((response as { workers?: unknown[] }).workers ?? []).length;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(request.concurrency, request.calls) }, lane));
  const elapsedMs = performance.now() - started;
  return { type: "result", id: request.id, latenciesMs, elapsedMs, workers };
}

function send(message: WorkerMessage): void {
  process.send?.(message);
}

if (process.send === undefined) {
  console.error("bench/grpc-client-worker.ts is started by bench/run.ts, not directly");
  process.exit(2);
}

process.on("message", (message: RunRequest) => {
  run(message).then(send, (error: unknown) =>
    send({
      type: "error",
      id: message.id,
      message: error instanceof Error ? error.message : String(error),
    }),
  );
});

process.on("disconnect", () => {
  for (const client of clients.values()) client.close();
});

send({ type: "ready" });

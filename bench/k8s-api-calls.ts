/**
 * What keeping runs in the cluster costs in Kubernetes API calls: the same
 * chain of one-worker stages through the whole controller (createApp, as
 * `npm start` wires it), once with runs recorded as PipelineRun resources
 * (OTTOSCALER_PIPELINE_RUNS=true, the default) and once without, each in a
 * fresh namespace; every request the controller's Kubernetes client sends is
 * counted (undici's diagnostics channel), by verb and resource, from the call
 * until its Jobs are gone. Pod log reads go through their own HTTP client and
 * are not counted: the same on both sides.
 * `npm run bench:k8s-calls` (hack/bench-k8s.sh brings the cluster up).
 * Sizes: BENCH_K8S_STAGES (default 5), BENCH_K8S_ROUNDS (default 3).
 */
import diagnostics from "node:diagnostics_channel";
import { PipelineStatus } from "../gen/ottoscaler/v1/pipeline_pb.js";
import { kubectl, startClusterController } from "../server/testing/cluster.ts";
import { collect } from "../server/testing/test-server.ts";
import { median } from "./stats.ts";
import { fixed, ratio, renderTable } from "./table.ts";

const stages = Number(process.env.BENCH_K8S_STAGES ?? "5");
const rounds = Number(process.env.BENCH_K8S_ROUNDS ?? "3");

/** "VERB resource" of an API request path, e.g. "PUT pipelineruns/status". */
function callKind(method: string, path: string): string {
  const bare = path.split("?", 1)[0] ?? "";
  const watch = /[?&]watch=(true|1)/.test(path) ? " (watch)" : "";
  const parts = bare.split("/").filter(Boolean);
  const ns = parts.indexOf("namespaces");
  const rest = ns >= 0 ? parts.slice(ns + 2) : parts.slice(-1);
  const resource = rest.length >= 3 ? `${rest[0]}/${rest[2]}` : (rest[0] ?? bare);
  return `${method} ${resource}${watch}`;
}

let counting: Map<string, number> | undefined;
diagnostics.subscribe("undici:request:create", (message) => {
  const { request } = message as { request: { method: string; path: string } };
  if (counting === undefined) return;
  const kind = callKind(request.method, request.path);
  counting.set(kind, (counting.get(kind) ?? 0) + 1);
});

interface Sample {
  calls: Map<string, number>;
  ms: number;
}

async function chainOnce(pipelineRuns: boolean, round: number): Promise<Sample> {
  const server = await startClusterController(`calls-${pipelineRuns ? "runs" : "bare"}`, {
    OTTOSCALER_PIPELINE_RUNS: String(pipelineRuns),
  });
  const { namespace } = server;
  try {
    const { ottoscaler } = server.clients("grpc");
    const chain = Array.from({ length: stages }, (_, i) => ({
      id: `s${i + 1}`,
      command: [`echo stage ${i + 1}`],
      dependsOn: i === 0 ? [] : [`s${i}`],
    }));
    counting = new Map();
    const began = performance.now();
    const events = await collect(
      ottoscaler.executePipeline({ pipelineId: `calls-${round}`, stages: chain }),
    );
    const ms = performance.now() - began;
    const final = events.at(-1);
    if (final?.status !== PipelineStatus.SUCCEEDED) {
      throw new Error(`the chain ended ${final?.status}: ${final?.message}`);
    }
    // Until its Jobs are gone: with PipelineRuns they are deleted once the end is recorded.
    // (kubectl, a process of its own, so its calls are not counted.)
    // kubectl 1.20's wait --for=delete fails on what is already gone: ask until none is left.
    while ((await kubectl("get", "jobs", "-n", namespace, "-o", "name")).trim() !== "") {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const calls = counting;
    counting = undefined;
    return { calls, ms };
  } finally {
    counting = undefined;
    await server[Symbol.asyncDispose]();
  }
}

const samples: Record<"bare" | "runs", Sample[]> = { bare: [], runs: [] };
for (let round = 1; round <= rounds; round++) {
  // Alternate which goes first: the cluster warms up as the run goes.
  const order = round % 2 === 1 ? [false, true] : [true, false];
  for (const runs of order) {
    const sample = await chainOnce(runs, round);
    samples[runs ? "runs" : "bare"].push(sample);
    process.stderr.write(
      `[calls] round ${round} ${runs ? "PipelineRuns" : "bare"}: ${[...sample.calls.values()].reduce((a, b) => a + b, 0)} calls, ${(sample.ms / 1000).toFixed(1)} s\n`,
    );
  }
}

const kinds = [
  ...new Set([...samples.bare, ...samples.runs].flatMap((s) => [...s.calls.keys()])),
].sort();
const perStage = (list: Sample[], kind?: string) =>
  median(
    list.map(
      (s) =>
        (kind === undefined
          ? [...s.calls.values()].reduce((a, b) => a + b, 0)
          : (s.calls.get(kind) ?? 0)) / stages,
    ),
  );
const rows = kinds.map((kind) => [
  kind,
  fixed(perStage(samples.bare, kind), 1),
  fixed(perStage(samples.runs, kind), 1),
]);
const total = [perStage(samples.bare), perStage(samples.runs)] as const;
rows.push(["all calls", fixed(total[0], 1), fixed(total[1], 1)]);
rows.push(["extra calls per stage", "", fixed(total[1] - total[0], 1)]);
const msPerStage = (list: Sample[]) => median(list.map((s) => s.ms / stages));
rows.push([
  "ms per stage (median)",
  fixed(msPerStage(samples.bare), 0),
  `${fixed(msPerStage(samples.runs), 0)} (${ratio(msPerStage(samples.runs) / msPerStage(samples.bare))})`,
]);
process.stdout.write(
  `Kubernetes API calls per stage, ${stages}-stage chain, median of ${rounds} rounds\n` +
    `${renderTable(["call", "without PipelineRuns", "with PipelineRuns"], rows)}\n`,
);

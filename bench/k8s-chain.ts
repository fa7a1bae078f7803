import type { Client } from "@connectrpc/connect";
import type { OttoscalerService } from "../gen/ottoscaler/v1/ottoscaler_pb.js";
import { PipelineStatus } from "../gen/ottoscaler/v1/pipeline_pb.js";
import { baselineJob } from "./k8s-baseline-job.ts";
import { runProcess } from "./k8s-kubectl.ts";

export interface ChainSample {
  /** The call until the pipeline's final event (ours) or the loop's exit (baseline). */
  ms: number;
  /** Retries the baseline's shell loop made (kube-apiserver restarts and the like). */
  retries?: number;
}

const stageId = (n: number) => `s${n}`;
const stageCommand = (n: number) => `echo stage ${n}`;

/** Ours: ExecutePipeline of a chain of one-worker stages, to its final SUCCEEDED event. */
export async function oursChain(
  client: Client<typeof OttoscalerService>,
  o: { id: string; stages: number; image: string; timeoutMs: number },
): Promise<ChainSample> {
  const stages = Array.from({ length: o.stages }, (_, i) => ({
    id: stageId(i + 1),
    image: o.image,
    command: [stageCommand(i + 1)],
    workers: 1,
    dependsOn: i === 0 ? [] : [stageId(i)],
  }));
  // A signal of our own rather than the call's timeoutMs: Connect's deadline timer outlives a
  // stream left early (the final event comes just before the stream's end) and holds the
  // process open for the whole timeout.
  const abort = new AbortController();
  const timer = setTimeout(
    () => abort.abort(new Error(`pipeline ${o.id}: timed out`)),
    o.timeoutMs,
  );
  const began = performance.now();
  try {
    const stream = client.executePipeline(
      { pipelineId: o.id, name: o.id, stages },
      { signal: abort.signal },
    );
    for await (const event of stream) {
      if (event.stageId !== "") continue;
      if (event.status === PipelineStatus.SUCCEEDED) return { ms: performance.now() - began };
      if (event.status === PipelineStatus.FAILED || event.status === PipelineStatus.CANCELLED) {
        throw new Error(`pipeline ${o.id} ended ${PipelineStatus[event.status]}: ${event.message}`);
      }
    }
    throw new Error(`pipeline ${o.id}: the stream ended before the final event`);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

/**
 * The baseline loop: for each stage, `kubectl create -f -` of a one-pod Job
 * (the same pod as ours), then `kubectl wait --for=condition=complete`,
 * before the next. Both retry a few times, as another test may restart
 * kube-apiserver; each retry is reported on stderr as "retry: ...".
 */
const chainScript = `
set -u
create() {
  local i err
  for i in 1 2 3 4; do
    if err=$(kubectl create -n "$NS" -f - <<<"$1" 2>&1 >/dev/null); then return 0; fi
    if [ "$i" -gt 1 ] && [[ $err == *AlreadyExists* ]]; then return 0; fi
    echo "retry: kubectl create: $err" >&2
    sleep 1
  done
  return 1
}
complete() {
  local i
  for i in 1 2 3; do
    kubectl wait -n "$NS" --for=condition=complete "job/$1" --timeout="$TIMEOUT" >/dev/null && return 0
    echo "retry: kubectl wait job/$1" >&2
    sleep 1
  done
  return 1
}
for n in $(seq 1 "$STAGES"); do
  create "\${MANIFEST//__N__/$n}" || exit 1
  complete "$PREFIX-s$n" || exit 1
done
`;

export async function baselineChain(
  namespace: string,
  o: { id: string; stages: number; image: string; timeoutMs: number },
): Promise<ChainSample> {
  const manifest = JSON.stringify(
    baselineJob({
      name: `${o.id}-s__N__`,
      namespace,
      image: o.image,
      command: "echo stage __N__",
      pods: 1,
    }),
  );
  const began = performance.now();
  const result = await runProcess("bash", ["-c", chainScript], {
    env: {
      NS: namespace,
      STAGES: String(o.stages),
      PREFIX: o.id,
      MANIFEST: manifest,
      TIMEOUT: `${Math.ceil(o.timeoutMs / 1000)}s`,
    },
  });
  const ms = performance.now() - began;
  const retries = result.stderr.split("\n").filter((l) => l.startsWith("retry:")).length;
  if (result.code !== 0) {
    throw new Error(`baseline chain ${o.id} exited ${result.code}: ${result.stderr.trim()}`);
  }
  return { ms, retries };
}

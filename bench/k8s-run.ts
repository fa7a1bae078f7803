/**
 * Ottoscaler against plain kubectl on the real cluster: `npm run bench:k8s`
 * (hack/bench-k8s.sh brings the cluster up, then runs this).
 *
 * 1. ScaleUp(N) until N worker pods are Running, then ScaleDown(N) until they
 *    are stopped and then gone; baseline: `kubectl create -f -` of one Job of N parallel pods,
 *    then `kubectl delete --cascade=foreground`, waited.
 * 2. A chain of one-worker stages through ExecutePipeline, to the final
 *    SUCCEEDED event; baseline: a bash loop of `kubectl create -f -` and
 *    `kubectl wait --for=condition=complete`, one Job after another.
 *
 * Both sides run the same pods (the executor's pod template), each in a fresh
 * namespace of its own, and are observed through the same kind of pod watch.
 * Rounds interleave the sides, alternating which goes first. Tables go to
 * stdout, progress to stderr, everything measured to bench/results/k8s-latest.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { loadKubeConfig } from "../server/k8s/client.ts";
import {
  type ClusterServer,
  startClusterController,
  testImage,
} from "../server/testing/cluster.ts";
import { podSettings } from "./k8s-baseline-job.ts";
import { baselineChain, type ChainSample, oursChain } from "./k8s-chain.ts";
import { createNamespace, deleteNamespace, kubectl, kubectlRetries } from "./k8s-kubectl.ts";
import { describeK8sOptions, type K8sBenchOptions, readK8sOptions } from "./k8s-options.ts";
import { NamespacePods } from "./k8s-pod-watch.ts";
import { baselineScale, baselineScaleJob, oursScale, type ScaleSample } from "./k8s-scale-up.ts";
import { median } from "./stats.ts";
import { fixed, ratio, renderTable } from "./table.ts";

const resultsDir = new URL("./results/", import.meta.url);
const resultsFile = new URL("k8s-latest.json", resultsDir);

type Side = "ours" | "baseline";

/** One measurement of one side, or why it could not be made. */
interface Outcome<T> {
  value?: T;
  error?: string;
  attempts: number;
}

interface RoundOf<T> {
  round: number;
  first: Side;
  ours: Outcome<T>;
  baseline: Outcome<T>;
}

const started = performance.now();

/** A progress line on stderr, stamped with the seconds since the start. */
function progress(line: string): void {
  const at = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${at}s] ${line}\n`);
}

const suffix = () => Math.random().toString(36).slice(2, 6);

/** Two tries: a kube-apiserver restarted by another test must not sink the whole run. */
async function measure<T>(what: string, run: () => Promise<T>): Promise<Outcome<T>> {
  let error = "";
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      return { value: await run(), attempts: attempt };
    } catch (e) {
      error = (e as Error).message;
      progress(`  ${what}: attempt ${attempt} failed: ${error}`);
    }
  }
  return { error, attempts: 2 };
}

async function interleaved<T>(
  round: number,
  sides: Record<Side, () => Promise<T>>,
  describe: (side: Side, value: T) => string,
): Promise<RoundOf<T>> {
  const first: Side = round % 2 === 1 ? "ours" : "baseline";
  const order: Side[] = first === "ours" ? ["ours", "baseline"] : ["baseline", "ours"];
  const out: Partial<Record<Side, Outcome<T>>> = {};
  for (const side of order) {
    const outcome = await measure(side, sides[side]);
    out[side] = outcome;
    progress(
      `  ${side}: ${outcome.value === undefined ? `FAILED ${outcome.error}` : describe(side, outcome.value)}`,
    );
  }
  return { round, first, ours: out.ours as Outcome<T>, baseline: out.baseline as Outcome<T> };
}

function values<T>(rounds: RoundOf<T>[], side: Side, pick: (v: T) => number): number[] {
  return rounds.flatMap((r) => {
    const v = r[side].value;
    return v === undefined ? [] : [pick(v)];
  });
}

function cell<T>(o: Outcome<T>, pick: (v: T) => number): string {
  if (o.value === undefined) return "failed";
  return `${fixed(pick(o.value), 0)}${o.attempts > 1 ? "*" : ""}`;
}

function perRoundRatio<T>(r: RoundOf<T>, pick: (v: T) => number): number {
  return r.ours.value === undefined || r.baseline.value === undefined
    ? Number.NaN
    : pick(r.ours.value) / pick(r.baseline.value);
}

interface Metric<T> {
  header: string;
  pick: (v: T) => number;
}

interface MetricSummary {
  ours: number[];
  baseline: number[];
  oursMedian: number;
  baselineMedian: number;
  /** Median of ours / median of baseline: above 1 means ours takes longer. */
  ratio: number;
}

function summarizeMetric<T>(rounds: RoundOf<T>[], metric: Metric<T>): MetricSummary {
  const ours = values(rounds, "ours", metric.pick);
  const baseline = values(rounds, "baseline", metric.pick);
  const oursMedian = median(ours);
  const baselineMedian = median(baseline);
  return { ours, baseline, oursMedian, baselineMedian, ratio: oursMedian / baselineMedian };
}

/** A table with, per metric, ours / baseline / ratio columns; one row per round, then medians. */
function roundsTable<T>(rounds: RoundOf<T>[], metrics: Metric<T>[]): string {
  const headers = ["round", "first"];
  for (const m of metrics) headers.push(`ours ${m.header}`, `baseline ${m.header}`, "ours/base");
  const rows = rounds.map((r) => [
    String(r.round),
    r.first,
    ...metrics.flatMap((m) => [
      cell(r.ours, m.pick),
      cell(r.baseline, m.pick),
      ratio(perRoundRatio(r, m.pick)),
    ]),
  ]);
  rows.push([
    "median",
    "",
    ...metrics.flatMap((m) => {
      const s = summarizeMetric(rounds, m);
      return [fixed(s.oursMedian, 0), fixed(s.baselineMedian, 0), ratio(s.ratio)];
    }),
  ]);
  return renderTable(headers, rows);
}

async function clusterVersion(): Promise<string> {
  const text = await kubectl(["version", "--short"]).catch(() => "unknown");
  return text.trim().split("\n").join(", ");
}

async function startServer(): Promise<ClusterServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      // The whole controller, as users run it: runs recorded as PipelineRuns, groups as WorkerGroups.
      return await startClusterController("bench-k8s-ours");
    } catch (error) {
      if (attempt >= 3) throw error;
      progress(`starting the cluster server failed (${(error as Error).message}); retrying`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

async function main(): Promise<void> {
  const options: K8sBenchOptions = readK8sOptions();
  const image = testImage();
  const timeoutMs = options.timeoutSeconds * 1000;
  const cpus = os.cpus();
  const environment = {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    cluster: await clusterVersion(),
    image,
  };
  const began = performance.now();
  console.log(
    `Ottoscaler on the real cluster: Node ${environment.node}, ${environment.platform}, ${environment.cpus} x ${environment.cpuModel}`,
  );
  console.log(`Cluster: ${environment.cluster}; image ${image}`);
  console.log(describeK8sOptions(options).join(" "));

  const kc = loadKubeConfig();
  await using server = await startServer();
  const baseNamespace = await createNamespace("bench-k8s-base");
  await using _cleanup = {
    async [Symbol.asyncDispose]() {
      await deleteNamespace(baseNamespace);
    },
  };
  await using oursPods = await NamespacePods.start(kc, server.namespace);
  await using basePods = await NamespacePods.start(kc, baseNamespace);
  const client = server.clients("grpc").ottoscaler;
  console.log(
    `Namespaces: ours ${server.namespace} (the whole controller in this process, gRPC client), baseline ${baseNamespace} (kubectl processes)`,
  );

  // Unmeasured: the first pod of each namespace, the server's first Job, kubectl's caches.
  progress("warm-up: a one-stage pipeline on each side");
  await measure("warm-up ours", () =>
    oursChain(client, { id: `warmup-${suffix()}`, stages: 1, image, timeoutMs }),
  );
  await measure("warm-up baseline", () =>
    baselineChain(baseNamespace, { id: `warmup-${suffix()}`, stages: 1, image, timeoutMs }),
  );

  const scaleRounds: RoundOf<ScaleSample>[] = [];
  const chainRounds: RoundOf<ChainSample>[] = [];
  let oursPodSettings: string | undefined;
  const basePodSettings = podSettings(
    baselineScaleJob(baseNamespace, { id: "x", workers: options.workers, image }).spec,
  );
  for (let round = 1; round <= options.rounds; round++) {
    if (options.only !== "chain") {
      progress(`round ${round}/${options.rounds}: ScaleUp(${options.workers})`);
      const o = { workers: options.workers, image, timeoutMs };
      scaleRounds.push(
        await interleaved<ScaleSample>(
          round,
          {
            ours: async () => {
              const r = await oursScale(
                client,
                { namespace: server.namespace, pods: oursPods },
                { ...o, id: `up-r${round}-${suffix()}` },
              );
              oursPodSettings ??= r.podSettings;
              const { podSettings: _settings, ...sample } = r;
              return sample;
            },
            baseline: () =>
              baselineScale(
                { namespace: baseNamespace, pods: basePods },
                { ...o, id: `up-r${round}-${suffix()}` },
              ),
          },
          (_side, v) =>
            `up ${fixed(v.upMs, 0)} ms; down: stopped ${fixed(v.stoppedMs, 0)} ms, call returned ${fixed(v.downCallMs, 0)} ms, gone ${fixed(v.downMs, 0)} ms; ${v.replacementPods} pod(s) created during tear-down`,
        ),
      );
    }
    if (options.only !== "scale") {
      progress(`round ${round}/${options.rounds}: ${options.stages}-stage chain`);
      const o = { stages: options.stages, image, timeoutMs };
      chainRounds.push(
        await interleaved<ChainSample>(
          round,
          {
            ours: () => oursChain(client, { ...o, id: `chain-r${round}-${suffix()}` }),
            baseline: () =>
              baselineChain(baseNamespace, { ...o, id: `chain-r${round}-${suffix()}` }),
          },
          (_side, v) => `${fixed(v.ms, 0)} ms${v.retries ? ` (${v.retries} kubectl retries)` : ""}`,
        ),
      );
    }
  }

  const scaleMetrics: Metric<ScaleSample>[] = [
    { header: "up", pick: (v) => v.upMs },
    { header: "stopped", pick: (v) => v.stoppedMs },
    { header: "gone", pick: (v) => v.downMs },
  ];
  const chainMetrics: Metric<ChainSample>[] = [{ header: "ms", pick: (v) => v.ms }];
  const scaleUp = summarizeMetric(scaleRounds, scaleMetrics[0] as Metric<ScaleSample>);
  const scaleStopped = summarizeMetric(scaleRounds, scaleMetrics[1] as Metric<ScaleSample>);
  const scaleDown = summarizeMetric(scaleRounds, scaleMetrics[2] as Metric<ScaleSample>);
  const chain = summarizeMetric(chainRounds, chainMetrics[0] as Metric<ChainSample>);
  const settingsMatch =
    oursPodSettings === undefined ? undefined : oursPodSettings === basePodSettings;

  if (scaleRounds.length > 0) {
    console.log(
      `\nScaleUp(${options.workers}) -> ${options.workers} pods Running ("up"), then ScaleDown(${options.workers}) -> no pod Pending/Running ("stopped") -> pods gone from the API ("gone"), ms`,
    );
    console.log(
      `ours: ScaleUp/ScaleDown over gRPC, ${options.workers} Jobs of 1 pod; baseline: kubectl create -f - of 1 Job (parallelism ${options.workers}), kubectl delete --cascade=foreground --wait`,
    );
    console.log(roundsTable(scaleRounds, scaleMetrics));
    const replaced = (side: Side) =>
      values(scaleRounds, side, (v) => v.replacementPods).reduce((a, b) => a + b, 0);
    console.log(
      `pods created during tear-down (Job controller replacing terminating pods), all rounds: ours ${replaced("ours")}, baseline ${replaced("baseline")}`,
    );
    if (settingsMatch !== undefined) {
      console.log(
        settingsMatch
          ? "pod settings (image, pull policy, resources, user, volumes, grace): identical"
          : `pod settings DIFFER: ours ${oursPodSettings} vs baseline ${basePodSettings}`,
      );
    }
  }
  if (chainRounds.length > 0) {
    console.log(
      `\n${options.stages}-stage chain of one-worker stages ("echo stage N"), call -> done, ms`,
    );
    console.log(
      "ours: ExecutePipeline over gRPC until the final SUCCEEDED event; baseline: bash loop of kubectl create -f - + kubectl wait --for=condition=complete",
    );
    console.log(roundsTable(chainRounds, chainMetrics));
    console.log(
      `per stage (median / ${options.stages}): ours ${fixed(chain.oursMedian / options.stages, 0)} ms, baseline ${fixed(chain.baselineMedian / options.stages, 0)} ms`,
    );
  }
  const anyRetried = [...scaleRounds, ...chainRounds].some(
    (r) => r.ours.attempts > 1 || r.baseline.attempts > 1,
  );
  if (anyRetried) console.log("* = measured on the second attempt (the first failed)");
  if (kubectlRetries.length > 0) {
    console.log(`kubectl calls retried (benchmark's own calls): ${kubectlRetries.length}`);
    for (const retry of kubectlRetries) console.log(`  ${retry.slice(0, 200)}`);
  }

  console.log("\nRatios ours/baseline (medians; above 1 = ours slower):");
  if (scaleRounds.length > 0) {
    console.log(
      `  ScaleUp(${options.workers}) -> Running:   ${ratio(scaleUp.ratio)} (${fixed(scaleUp.oursMedian, 0)} vs ${fixed(scaleUp.baselineMedian, 0)} ms)`,
    );
    console.log(
      `  ScaleDown(${options.workers}) -> stopped: ${ratio(scaleStopped.ratio)} (${fixed(scaleStopped.oursMedian, 0)} vs ${fixed(scaleStopped.baselineMedian, 0)} ms)`,
    );
    console.log(
      `  ScaleDown(${options.workers}) -> gone:    ${ratio(scaleDown.ratio)} (${fixed(scaleDown.oursMedian, 0)} vs ${fixed(scaleDown.baselineMedian, 0)} ms)`,
    );
  }
  if (chainRounds.length > 0) {
    console.log(
      `  ${options.stages}-stage chain:           ${ratio(chain.ratio)} (${fixed(chain.oursMedian, 0)} vs ${fixed(chain.baselineMedian, 0)} ms)`,
    );
  }

  const totalSeconds = (performance.now() - began) / 1000;
  await mkdir(resultsDir, { recursive: true });
  const json = {
    finishedAt: new Date().toISOString(),
    environment,
    options,
    namespaces: { ours: server.namespace, baseline: baseNamespace },
    totalSeconds,
    ...(scaleRounds.length > 0 && {
      scaleUp: {
        workers: options.workers,
        podSettingsMatch: settingsMatch ?? null,
        rounds: scaleRounds,
        up: scaleUp,
        stopped: scaleStopped,
        gone: scaleDown,
      },
    }),
    ...(chainRounds.length > 0 && {
      chain: { stages: options.stages, rounds: chainRounds, ms: chain },
    }),
    kubectlRetries,
  };
  // Milliseconds to the microsecond and ratios to three places are plenty.
  const rounded = (_key: string, value: unknown) =>
    typeof value === "number" && !Number.isInteger(value) ? Number(value.toFixed(3)) : value;
  await writeFile(resultsFile, `${JSON.stringify(json, rounded, 2)}\n`);
  console.log(
    `\nTotal ${totalSeconds.toFixed(1)} s; results written to ${fileURLToPath(resultsFile)}`,
  );
  progress("cleaning up (namespaces are deleted in the background)");
}

await main();
// Everything is closed by now, so the process should end by itself; if something still holds it
// open (this timer does not), say what and end anyway.
setTimeout(() => {
  progress(`still open after cleanup: ${process.getActiveResourcesInfo().join(", ")}; exiting`);
  process.exit(0);
}, 5000).unref();

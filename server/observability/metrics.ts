import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** One label set and its value, as a collected gauge reports it. */
export type Sample<L extends string> = { labels: Partial<Record<L, string>>; value: number };

// Seconds: RPCs and API calls are milliseconds to seconds; stages and pipelines seconds to hours.
const fastBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const slowBuckets = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];

/**
 * The controller's Prometheus metrics, in a registry of their own (so that two
 * servers in one process count apart). Layers record into the fields; gauges
 * whose value lives elsewhere are read at scrape time (`gauge`). Labels are
 * kept low-cardinality: never a pipeline, stage or worker id.
 */
export class Metrics {
  readonly registry = new Registry();
  /** Off (OTTOSCALER_METRICS=false): nothing is served and RPCs are not timed. */
  readonly enabled: boolean;

  readonly rpcs: Counter<"service" | "method" | "protocol" | "code">;
  readonly rpcSeconds: Histogram<"service" | "method" | "protocol">;
  readonly openStreams: Gauge<"service" | "method">;
  readonly slotWaitSeconds: Histogram;
  readonly pipelines: Counter<"status">;
  readonly pipelineSeconds: Histogram<"status">;
  readonly stages: Counter<"status">;
  readonly stageSeconds: Histogram<"status">;
  readonly stageTransitionSeconds: Histogram;
  readonly stageRetries: Counter;
  readonly logLines: Counter<"stream">;
  readonly logBytes: Counter<"stream">;
  readonly journalWriteSeconds: Histogram;
  readonly retentionRemovals: Counter;
  readonly jobCallSeconds: Histogram<"verb">;
  readonly jobCallErrors: Counter<"verb" | "reason">;
  readonly informerRelists: Counter<"resource">;
  readonly watchRestarts: Counter<"resource">;

  constructor(options: { enabled: boolean; processMetrics?: boolean }) {
    this.enabled = options.enabled;
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
      new Counter<L>({ name, help, labelNames, registers });
    const histogram = <L extends string>(
      name: string,
      help: string,
      buckets: number[],
      labelNames: L[] = [],
    ) => new Histogram<L>({ name, help, buckets, labelNames, registers });

    this.rpcs = counter(
      "ottoscaler_rpcs_total",
      "RPCs answered, by service, method, protocol and code; a method not served is counted as unknown.",
      ["service", "method", "protocol", "code"],
    );
    this.rpcSeconds = histogram(
      "ottoscaler_rpc_duration_seconds",
      "Time from an RPC's start to its last message (a stream's whole life).",
      fastBuckets,
      ["service", "method", "protocol"],
    );
    this.openStreams = new Gauge({
      name: "ottoscaler_open_streams",
      help: "Server streams open now.",
      labelNames: ["service", "method"],
      registers,
    });
    this.slotWaitSeconds = histogram(
      "ottoscaler_slot_wait_seconds",
      "Time a worker waited for a slot under OTTOSCALER_MAX_WORKERS.",
      slowBuckets,
    );
    this.pipelines = counter("ottoscaler_pipelines_total", "Pipelines ended, by final status.", [
      "status",
    ]);
    this.pipelineSeconds = histogram(
      "ottoscaler_pipeline_duration_seconds",
      "Time from a pipeline's start to its end, by final status.",
      slowBuckets,
      ["status"],
    );
    this.stages = counter(
      "ottoscaler_stages_total",
      "Stages ended, by final status (SKIPPED included).",
      ["status"],
    );
    this.stageSeconds = histogram(
      "ottoscaler_stage_duration_seconds",
      "Time from a stage's queueing to its end, its retries included, by final status.",
      slowBuckets,
      ["status"],
    );
    this.stageTransitionSeconds = histogram(
      "ottoscaler_stage_transition_seconds",
      "Time from a stage's success to the next stage of its pipeline running.",
      fastBuckets,
    );
    this.stageRetries = counter(
      "ottoscaler_stage_retries_total",
      "Stage attempts that failed and were retried.",
    );
    this.logLines = counter(
      "ottoscaler_log_lines_total",
      "Worker output lines ingested, by stream.",
      ["stream"],
    );
    this.logBytes = counter(
      "ottoscaler_log_bytes_total",
      "Worker output bytes ingested (UTF-8, without newlines), by stream.",
      ["stream"],
    );
    this.journalWriteSeconds = histogram(
      "ottoscaler_journal_append_seconds",
      "Time of one journal write (the records appended in one turn of the event loop).",
      [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1],
    );
    this.retentionRemovals = counter(
      "ottoscaler_retention_removals_total",
      "Builds retention removed from the data directory.",
    );
    this.jobCallSeconds = histogram(
      "ottoscaler_job_api_duration_seconds",
      "Kubernetes executor: time of a Job create or delete call.",
      fastBuckets,
      ["verb"],
    );
    this.jobCallErrors = counter(
      "ottoscaler_job_api_errors_total",
      "Kubernetes executor: Job create or delete calls that failed, by reason.",
      ["verb", "reason"],
    );
    this.informerRelists = counter(
      "ottoscaler_informer_relists_total",
      "Kubernetes executor: full lists of a watched resource.",
      ["resource"],
    );
    this.watchRestarts = counter(
      "ottoscaler_watch_restarts_total",
      "Kubernetes executor: watches that ended and were started again.",
      ["resource"],
    );
    if (options.enabled && options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: "ottoscaler_" });
    }
  }

  /**
   * A gauge, or a counter kept elsewhere as a running total, whose samples are
   * read at each scrape.
   */
  scraped<L extends string>(
    type: "gauge" | "counter",
    declaration: { name: string; help: string; labelNames: L[] },
    read: () => Iterable<Sample<L>>,
  ): void {
    const options = { ...declaration, registers: [this.registry] };
    if (type === "gauge") {
      new Gauge<L>({
        ...options,
        collect() {
          this.reset();
          for (const { labels, value } of read()) this.set(labels, value);
        },
      });
      return;
    }
    new Counter<L>({
      ...options,
      collect() {
        this.reset();
        for (const { labels, value } of read()) this.inc(labels, value);
      },
    });
  }

  /** The text format Prometheus scrapes. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** For the parts made without a server's metrics (tests, tools): counted, never served. */
export function unservedMetrics(): Metrics {
  return new Metrics({ enabled: false });
}

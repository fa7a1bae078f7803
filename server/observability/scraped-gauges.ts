import type { LogForwardingStatusResponse } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { WorkerPhase } from "../../gen/ottoscaler/v1/worker_pb.js";
import type { Metrics, Sample } from "./metrics.ts";

export interface ScrapedSources {
  /** The executor label: local, kubernetes, or custom (one a test passed in). */
  executor: string;
  workers: () => Iterable<{ phase: WorkerPhase; reason: string }>;
  slots: { readonly max: number; readonly running: number; readonly waiting: number };
  forwarding: () => LogForwardingStatusResponse;
  journalBytes: () => number;
}

const live = new Set([WorkerPhase.PENDING, WorkerPhase.RUNNING]);

/** "ImagePullBackOff: Back-off pulling image …" → "ImagePullBackOff": the reason, not its free text. */
function stuckReason(reason: string): string {
  return /^[A-Za-z]+/.exec(reason)?.[0] ?? "other";
}

function countBy<K extends string, T>(
  items: Iterable<T>,
  key: (item: T) => Record<K, string> | undefined,
) {
  const counts = new Map<string, Sample<K>>();
  for (const item of items) {
    const labels = key(item);
    if (labels === undefined) continue;
    const id = JSON.stringify(labels);
    const sample = counts.get(id) ?? { labels, value: 0 };
    sample.value++;
    counts.set(id, sample);
  }
  return counts.values();
}

/** The gauges read at scrape time from the parts that hold their values. */
export function observeWorkersAndForwarding(metrics: Metrics, sources: ScrapedSources): void {
  const { executor, slots } = sources;
  metrics.scraped(
    "gauge",
    {
      name: "ottoscaler_workers",
      help: "Workers known now, by phase and executor.",
      labelNames: ["phase", "executor"],
    },
    () =>
      countBy(sources.workers(), (w) => ({
        phase: WorkerPhase[w.phase] ?? "UNSPECIFIED",
        executor,
      })),
  );
  metrics.scraped(
    "gauge",
    {
      name: "ottoscaler_workers_stuck",
      help: "Pending or running workers that report why they make no progress, by reason.",
      labelNames: ["reason"],
    },
    () =>
      countBy(sources.workers(), (w) =>
        live.has(w.phase) && w.reason !== "" ? { reason: stuckReason(w.reason) } : undefined,
      ),
  );
  metrics.scraped(
    "gauge",
    {
      name: "ottoscaler_slots_used",
      help: "Worker slots held now (OTTOSCALER_MAX_WORKERS).",
      labelNames: [],
    },
    () => [{ labels: {}, value: slots.running }],
  );
  metrics.scraped(
    "gauge",
    {
      name: "ottoscaler_slots_capacity",
      help: "Worker slots in all (OTTOSCALER_MAX_WORKERS).",
      labelNames: [],
    },
    () => [{ labels: {}, value: slots.max }],
  );
  metrics.scraped(
    "gauge",
    {
      name: "ottoscaler_slot_queue_length",
      help: "Workers waiting for a slot now.",
      labelNames: [],
    },
    () => [{ labels: {}, value: slots.waiting }],
  );
  metrics.scraped(
    "gauge",
    {
      name: "ottoscaler_journal_bytes",
      help: "Bytes of build journals in the data directory.",
      labelNames: [],
    },
    () => [{ labels: {}, value: sources.journalBytes() }],
  );
  const destinations =
    (read: (d: LogForwardingStatusResponse["destinations"][number]) => number) => () =>
      sources
        .forwarding()
        .destinations.map((d) => ({ labels: { destination: d.url }, value: read(d) }));
  metrics.scraped(
    "counter",
    {
      name: "ottoscaler_forwarding_acked_entries_total",
      help: "Entries a forwarding destination acknowledged since this controller started.",
      labelNames: ["destination"],
    },
    destinations((d) => Number(d.acknowledgedEntries)),
  );
  metrics.scraped(
    "counter",
    {
      name: "ottoscaler_forwarding_failures_total",
      help: "Failed forwarding attempts since this controller started (each retried).",
      labelNames: ["destination"],
    },
    destinations((d) => Number(d.failedAttempts)),
  );
  metrics.scraped(
    "counter",
    {
      name: "ottoscaler_forwarding_rejected_entries_total",
      help: "Entries a destination rejected as invalid (skipped).",
      labelNames: ["destination"],
    },
    destinations((d) => Number(d.rejectedEntries)),
  );
  metrics.scraped(
    "gauge",
    {
      name: "ottoscaler_forwarding_lag_entries",
      help: "Entries recorded but not yet acknowledged by a destination.",
      labelNames: ["destination"],
    },
    destinations((d) => Number(d.lagEntries)),
  );
  metrics.scraped(
    "gauge",
    {
      name: "ottoscaler_forwarding_lag_seconds",
      help: "Age of the oldest entry a destination has not acknowledged; 0 when caught up.",
      labelNames: ["destination"],
    },
    destinations((d) => d.lagSeconds),
  );
}

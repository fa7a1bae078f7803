import { type PipelineProgress, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { isFinal } from "../domain/pipeline-status.ts";
import type { Metrics } from "./metrics.ts";

interface StageTimes {
  queuedAt: number;
  /** When the dependency whose success queued it succeeded; undefined for a first stage. */
  after?: number;
  running: boolean;
}

interface PipelineTimes {
  startedAt: number;
  lastSuccessAt?: number;
  stages: Map<string, StageTimes>;
}

const statusLabel = (status: PipelineStatus) => PipelineStatus[status] ?? "UNSPECIFIED";

/**
 * Turns a pipeline's progress events, as they happen, into the pipeline and
 * stage metrics. Times are this process's: a pipeline a restarted controller
 * continues is timed from when it continued it.
 */
export class PipelineMetrics {
  readonly #metrics: Metrics;
  readonly #pipelines = new Map<string, PipelineTimes>();

  constructor(metrics: Metrics) {
    this.#metrics = metrics;
  }

  observe(event: PipelineProgress, now = performance.now()): void {
    const m = this.#metrics;
    let times = this.#pipelines.get(event.pipelineId);
    if (times === undefined) {
      times = { startedAt: now, stages: new Map() };
      this.#pipelines.set(event.pipelineId, times);
    }
    const status = event.status;
    if (event.stageId === "") {
      if (!isFinal(status)) return;
      m.pipelines.inc({ status: statusLabel(status) });
      m.pipelineSeconds.observe({ status: statusLabel(status) }, (now - times.startedAt) / 1000);
      this.#pipelines.delete(event.pipelineId);
      return;
    }
    let stage = times.stages.get(event.stageId);
    if (stage === undefined) {
      // Queued when a dependency succeeded, or at the pipeline's start.
      stage = {
        queuedAt: now,
        ...(times.lastSuccessAt !== undefined && { after: times.lastSuccessAt }),
        running: false,
      };
      times.stages.set(event.stageId, stage);
    }
    if (status === PipelineStatus.RUNNING && !stage.running) {
      stage.running = true;
      if (stage.after !== undefined) m.stageTransitionSeconds.observe((now - stage.after) / 1000);
    } else if (status === PipelineStatus.RETRYING) {
      m.stageRetries.inc();
    } else if (isFinal(status)) {
      m.stages.inc({ status: statusLabel(status) });
      if (status !== PipelineStatus.SKIPPED) {
        m.stageSeconds.observe({ status: statusLabel(status) }, (now - stage.queuedAt) / 1000);
      }
      if (status === PipelineStatus.SUCCEEDED) times.lastSuccessAt = now;
    }
  }
}

import type { PipelineProgress, PipelineSummary } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { OttoscalerError } from "../domain/errors.ts";

export interface ProgressReadOptions {
  signal: AbortSignal;
  /**
   * The first event wanted, by its sequence (1 is the pipeline's first event). Past a
   * finished pipeline's last event + 1 the read fails ("out-of-range"); past a running
   * pipeline's end it waits for the events to come.
   * @default 1
   */
  fromSequence?: number;
}

/**
 * One pipeline as readers see it, whether it runs now or is known only from
 * its journal: the API asks this, never what is behind it.
 */
export interface PipelineView {
  readonly pipelineId: string;
  summary(): PipelineSummary;
  hasStage(stageId: string): boolean;
  /** Its progress events in order from `fromSequence`, then, while it runs, new ones until it ends. */
  progress(options: ProgressReadOptions): AsyncGenerator<PipelineProgress>;
}

/** Whether `fromSequence` is past the end of a finished pipeline whose last event is `last`. */
export function checkFromSequence(pipelineId: string, fromSequence: number, last: number): void {
  if (fromSequence <= last + 1) return;
  throw new OttoscalerError(
    "out-of-range",
    `fromSequence: ${fromSequence} is past the end of pipeline "${pipelineId}", which ended with event ${last}`,
  );
}

import type { PipelineProgress, PipelineSummary } from "../../gen/ottoscaler/v1/pipeline_pb.js";

export interface ProgressReadOptions {
  signal: AbortSignal;
  /**
   * The first event wanted, by its sequence (1 is the pipeline's first event).
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

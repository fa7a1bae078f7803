import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { PipelineProgress, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";

/**
 * One attempt of a stage as a run's durable record keeps it: counts and the
 * indexes of the workers that were made, never each worker's full record, so a
 * record stays small whatever the size of the stage.
 */
export interface AttemptRecord {
  attempt: number;
  workers: number;
  /** Indexes of the workers whose Job (or process) exists: a later controller adopts these. */
  created: number[];
  succeeded: number;
  failed: number;
}

export interface StageRecord {
  id: string;
  status: PipelineStatus;
  attempt: number;
  /** The message of the stage's last event. */
  message: string;
  attempts: AttemptRecord[];
}

/** What a store keeps of a run so that another controller can continue it. */
export interface RunRecord {
  pipelineId: string;
  status: PipelineStatus;
  completedStages: number;
  totalStages: number;
  /** The sequence of the last event the record includes. */
  sequence: number;
  /**
   * How the main stages ended, once they all have: the run is then in its
   * finally stages, which see this status.
   */
  mainOutcome?: { status: PipelineStatus; message: string };
  stages: StageRecord[];
}

/** Where run records go as a run changes (e.g. a PipelineRun's status in the cluster). */
export interface RunStore {
  /**
   * The run changed. Writes are coalesced and in order; each takes the run's record from
   * `snapshot` when it is written, so a burst of changes builds one record, not one each.
   */
  save(pipelineId: string, snapshot: () => RunRecord): void;
  /** Resolves once every record saved so far is written or has failed for good. */
  settled(pipelineId: string): Promise<void>;
  /** Each progress event as it happens (e.g. for Kubernetes Events on the PipelineRun). */
  observe?(event: PipelineProgress): void;
}

/** What a run continued by a new controller starts from. */
export interface ResumeState {
  /** Its progress events so far, from its journal, in order. */
  events: PipelineProgress[];
  createdAt: Timestamp | undefined;
  /** The run's durable record, when the store had one. */
  record: RunRecord | undefined;
  /** How many lines the pipeline's journal holds already, all workers together. */
  logEntries: number;
  /** How many lines each worker has in the journal already. */
  linesPerWorker: ReadonlyMap<string, number>;
}

/** How the work in flight ends when the controller stops. */
export interface ShutdownOptions {
  /**
   * Leave it to the next controller, which continues it from its record, instead of ending it.
   * @default false
   */
  leaveRunning?: boolean;
}

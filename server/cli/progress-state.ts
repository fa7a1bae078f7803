import { type PipelineProgress, PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { pipelineStatusName } from "./enum-names.ts";
import { toMs } from "./format.ts";

/** What ottoctl knows about one stage from the events so far. */
export interface StageView {
  id: string;
  status: PipelineStatus;
  attempt: number;
  message: string;
  workerIds: string[];
  /** Server time of the stage's first RUNNING event. */
  startedMs: number | undefined;
  /** Server time of the stage's final event; unset again if it runs once more. */
  endedMs: number | undefined;
}

/** What ottoctl knows about a pipeline from the events so far. */
export interface PipelineView {
  pipelineId: string;
  name: string;
  status: PipelineStatus;
  completed: number;
  total: number;
  message: string;
  stages: StageView[];
  /** Server time of the first event. */
  startedMs: number | undefined;
  /** Server time of the final pipeline event. */
  endedMs: number | undefined;
  /** Server time of the latest event. */
  lastEventMs: number | undefined;
  lastSequence: bigint;
  /** Smallest (local receive time - server time) seen: clock skew plus the fastest delivery. */
  clockOffsetMs: number | undefined;
}

const pipelineFinal = new Set([
  PipelineStatus.SUCCEEDED,
  PipelineStatus.FAILED,
  PipelineStatus.CANCELLED,
]);

/** A stage may also end SKIPPED; a pipeline never does. */
const stageFinal = new Set([...pipelineFinal, PipelineStatus.SKIPPED]);

/** A status a pipeline never leaves. */
export function isFinalPipelineStatus(status: PipelineStatus): boolean {
  return pipelineFinal.has(status);
}

export function isFinalStageStatus(status: PipelineStatus): boolean {
  return stageFinal.has(status);
}

/** The last event of a pipeline's stream: a pipeline-level SUCCEEDED, FAILED or CANCELLED. */
export function isFinalPipelineEvent(event: PipelineProgress): boolean {
  return event.stageId === "" && isFinalPipelineStatus(event.status);
}

/**
 * Whether an event's message only repeats what the line already shows, such as "stage lint
 * queued" or "attempt 1 running": words naming the pipeline, the stage, the attempt and the
 * status and nothing else.
 */
export function isRedundantMessage(event: PipelineProgress): boolean {
  if (event.message === "") return true;
  const status = pipelineStatusName(event.status).toLowerCase();
  const known = new Set(["pipeline", "stage", "attempt", status, event.stageId, event.pipelineId]);
  return event.message
    .toLowerCase()
    .split(/\s+/)
    .every((word) => word === "" || known.has(word) || /^\d+$/.test(word));
}

/** A view before any event; the stages of a known request are listed as QUEUED. */
export function createPipelineView(
  init: { pipelineId?: string; name?: string; stageIds?: readonly string[] } = {},
): PipelineView {
  const stageIds = init.stageIds ?? [];
  return {
    pipelineId: init.pipelineId ?? "",
    name: init.name ?? "",
    status: PipelineStatus.QUEUED,
    completed: 0,
    total: stageIds.length,
    message: "",
    stages: stageIds.map(newStage),
    startedMs: undefined,
    endedMs: undefined,
    lastEventMs: undefined,
    lastSequence: 0n,
    clockOffsetMs: undefined,
  };
}

/** A stage not heard of yet: queued. */
function newStage(id: string): StageView {
  return {
    id,
    status: PipelineStatus.QUEUED,
    attempt: 0,
    message: "",
    workerIds: [],
    startedMs: undefined,
    endedMs: undefined,
  };
}

function stageOf(view: PipelineView, id: string): StageView {
  let stage = view.stages.find((s) => s.id === id);
  if (stage === undefined) {
    stage = newStage(id);
    view.stages.push(stage);
  }
  return stage;
}

/**
 * Folds one event into the view. Returns false for an event already seen (a sequence number not
 * above the last one), which callers should not show again.
 */
export function applyProgress(
  view: PipelineView,
  event: PipelineProgress,
  receivedMs: number = Date.now(),
): boolean {
  if (event.sequence !== 0n) {
    if (event.sequence <= view.lastSequence) return false;
    view.lastSequence = event.sequence;
  }
  const at = toMs(event.timestamp) ?? receivedMs;
  const offset = receivedMs - at;
  view.clockOffsetMs =
    view.clockOffsetMs === undefined ? offset : Math.min(view.clockOffsetMs, offset);
  view.startedMs ??= at;
  view.lastEventMs = at;
  if (event.pipelineId !== "") view.pipelineId = event.pipelineId;
  if (event.totalStages !== 0) view.total = event.totalStages;
  view.completed = event.completedStages;

  if (event.stageId === "") {
    view.status = event.status;
    view.message = isRedundantMessage(event) ? "" : event.message;
    if (pipelineFinal.has(event.status)) view.endedMs = at;
    return true;
  }

  const stage = stageOf(view, event.stageId);
  stage.status = event.status;
  if (event.attempt !== 0) stage.attempt = event.attempt;
  stage.message = isRedundantMessage(event) ? "" : event.message;
  if (event.workerIds.length > 0) stage.workerIds = [...event.workerIds];
  if (event.status === PipelineStatus.RUNNING) {
    stage.startedMs ??= at;
    stage.endedMs = undefined;
  } else if (stageFinal.has(event.status)) {
    stage.endedMs = at;
  }
  if (view.status === PipelineStatus.QUEUED && event.status === PipelineStatus.RUNNING) {
    view.status = PipelineStatus.RUNNING;
  }
  return true;
}

/** The server's clock now, as well as the events let ottoctl guess it. */
export function serverNow(view: PipelineView, localNowMs: number = Date.now()): number {
  return localNowMs - (view.clockOffsetMs ?? 0);
}

/** How long a stage has run: to its end, or to now while it runs. */
export function stageElapsedMs(stage: StageView, nowMs: number): number | undefined {
  if (stage.startedMs === undefined) return undefined;
  return (stage.endedMs ?? nowMs) - stage.startedMs;
}

/** How long the pipeline has run: to its end, or to now while it runs. */
export function pipelineElapsedMs(view: PipelineView, nowMs: number): number | undefined {
  if (view.startedMs === undefined) return undefined;
  return (view.endedMs ?? nowMs) - view.startedMs;
}

import type { V1Job } from "@kubernetes/client-node";
import type { WorkerHooks, WorkerOutcome, WorkerSpec } from "../executor.ts";
import type { PodLogCapture } from "./pod-log.ts";

/**
 * Where one worker is, as an explicit phase: its Job being made (or adopted),
 * made and its pod not running yet, running, its pod ended and its log being
 * read to the end, being removed (its Job, then every pod of it), or done.
 */
export type WorkerPhase =
  | { name: "creating"; job: V1Job; failures: number }
  | { name: "waiting"; stuck?: { reason: string; since: number } }
  | { name: "running" }
  | { name: "collecting"; outcome: WorkerOutcome; podEnded: boolean }
  | { name: "removing"; outcome: WorkerOutcome; jobDeleted: boolean; podsDeleted: Set<string> }
  | { name: "done" };

/** One worker being run: what reconcile needs to move it on. */
export interface LiveWorker {
  spec: WorkerSpec;
  jobName: string;
  hooks: WorkerHooks;
  resolve: (outcome: WorkerOutcome) => void;
  phase: WorkerPhase;
  /** Whether its container has started (told to the hooks once). */
  started: boolean;
  /** Whether its Job was ever seen (a Job gone after that was deleted under us). */
  jobSeen: boolean;
  /** The last waiting reason told to the hooks, so each is told once. */
  waitingFor: string;
  logs: PodLogCapture | undefined;
}

import { stat } from "node:fs/promises";
import type { Logger } from "../../observability/logger.ts";
import type { BuildJournal } from "./build-journal.ts";
import type { BuildStore } from "./build-store.ts";

export interface RetentionPolicy {
  /** Builds that ended longer ago than this are removed. */
  maxAgeMs: number;
  /** Past this total, the builds that ended longest ago are removed until under it. */
  maxBytes: number;
}

export interface RetentionCandidate {
  key: string;
  /** Still being written: never removed. */
  writing: boolean;
  /** Every forwarding destination has acknowledged all of it (true without forwarding). */
  delivered: boolean;
  /** When the build last wrote (for a finished build: when it ended). */
  lastWriteMs: number;
  bytes: number;
}

export interface Expired {
  key: string;
  reason: "age" | "size";
}

/**
 * Which builds the policy removes: those past their age that every destination
 * has (an undelivered one waits for delivery), then, while the total is too
 * large, the oldest delivered ones and, only if that is not enough, the oldest
 * undelivered ones: the size limit protects the disk.
 */
export function chooseExpired(
  builds: RetentionCandidate[],
  policy: RetentionPolicy,
  nowMs: number,
): Expired[] {
  const expired: Expired[] = [];
  let total = builds.reduce((sum, b) => sum + b.bytes, 0);
  const removable = builds.filter((b) => !b.writing).sort((a, b) => a.lastWriteMs - b.lastWriteMs);
  for (const build of removable) {
    if (build.delivered && nowMs - build.lastWriteMs > policy.maxAgeMs) {
      expired.push({ key: build.key, reason: "age" });
      total -= build.bytes;
    }
  }
  for (const delivered of [true, false]) {
    for (const build of removable) {
      if (total <= policy.maxBytes) return expired;
      if (build.delivered !== delivered || expired.some((e) => e.key === build.key)) continue;
      expired.push({ key: build.key, reason: "size" });
      total -= build.bytes;
    }
  }
  return expired;
}

/** Applies the policy to the store once; returns what it removed. */
export async function applyRetention(
  store: BuildStore,
  policy: RetentionPolicy,
  logger: Logger,
  delivered: (journal: BuildJournal) => boolean,
  nowMs = Date.now(),
): Promise<Expired[]> {
  const journals = store.list();
  const candidates: RetentionCandidate[] = [];
  for (const journal of journals) {
    const info = await stat(journal.path).catch(() => undefined);
    candidates.push({
      key: journal.key,
      writing: journal.writing,
      delivered: delivered(journal),
      lastWriteMs: info?.mtimeMs ?? 0,
      bytes: info?.size ?? 0,
    });
  }
  const expired = chooseExpired(candidates, policy, nowMs);
  for (const { key, reason } of expired) {
    const journal = journals.find((j) => j.key === key);
    if (journal === undefined || journal.writing) continue;
    await store.remove(journal);
    logger.info("buildExpired", { build: key, reason });
  }
  return expired;
}

import { watch } from "node:fs";
import { readFile } from "node:fs/promises";

/** One kube-apiserver audit event, the fields the tests read (level Metadata). */
export interface AuditEvent {
  verb: string;
  user: { username: string; groups?: string[] };
  /** Where the request came from: a pod's address tells two controllers apart. */
  sourceIPs?: string[];
  objectRef?: { resource?: string; namespace?: string; name?: string; apiGroup?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
}

/** The audit log hack/cluster-up.sh has kube-apiserver write (hack/test-e2e.sh says where). */
export function auditLogPath(): string {
  const file = process.env.OTTOSCALER_AUDIT_LOG;
  if (!file) throw new Error("OTTOSCALER_AUDIT_LOG is not set: run through npm run test:e2e");
  return file;
}

export async function readAuditEvents(file = auditLogPath()): Promise<AuditEvent[]> {
  const text = await readFile(file, "utf8");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as AuditEvent);
}

/** Job creations and deletions in `namespace` that worked. */
export function jobEvents(
  events: AuditEvent[],
  verb: "create" | "delete",
  namespace: string,
): AuditEvent[] {
  return events.filter(
    (e) =>
      e.verb === verb &&
      e.objectRef?.apiGroup === "batch" &&
      e.objectRef.resource === "jobs" &&
      e.objectRef.namespace === namespace &&
      (e.responseStatus?.code ?? 0) < 300,
  );
}

/**
 * Waits until `pick` finds what it wants in the audit log, re-reading it each time the API
 * server writes to it; fails after `timeoutMs`.
 */
export async function waitForAudit<T>(
  pick: (events: AuditEvent[]) => T | undefined,
  timeoutMs = 15_000,
  file = auditLogPath(),
): Promise<T> {
  let last: AuditEvent[] = [];
  return new Promise<T>((resolve, reject) => {
    let checking = false;
    let again = false;
    const done = (fn: () => void) => {
      clearTimeout(timer);
      watcher.close();
      fn();
    };
    const check = async () => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          last = await readAuditEvents(file);
          const found = pick(last);
          if (found !== undefined) return done(() => resolve(found));
        } while (again);
      } catch (error) {
        done(() => reject(error));
      } finally {
        checking = false;
      }
    };
    // Watching first, then reading: nothing written in between is missed.
    const watcher = watch(file, () => void check());
    const timer = setTimeout(
      () =>
        done(() =>
          reject(new Error(`not in the audit log after ${timeoutMs} ms (${last.length} events)`)),
        ),
      timeoutMs,
    );
    void check();
  });
}

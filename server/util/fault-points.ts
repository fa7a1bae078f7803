import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

/** Places in the code where a test can make the process die, to prove a crash there loses nothing. */
export interface FaultPoints {
  /** Dies here (SIGKILL, no clean-up) if this point is armed for `subject`. */
  hit(point: string, subject: string): void;
}

export const noFaults: FaultPoints = { hit() {} };

/**
 * Fault points armed by files: `<dir>/<point>` holding a text the subject must contain (empty:
 * any subject). Each file fires once (it is removed first), so the restarted process goes on.
 * Only for tests: the server uses these only with OTTOSCALER_FAULT_INJECTION on.
 */
export function fileFaultPoints(dir: string): FaultPoints {
  return {
    hit(point, subject) {
      const file = path.join(dir, point);
      if (!existsSync(file)) return;
      const wanted = readFileSync(file, "utf8").trim();
      if (wanted !== "" && !subject.includes(wanted)) return;
      rmSync(file, { force: true });
      process.kill(process.pid, "SIGKILL");
    },
  };
}

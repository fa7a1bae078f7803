import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const made: string[] = [];
process.once("exit", () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh OTTOSCALER_DATA_DIR for one test's controller, removed when the test process exits. */
export function tempDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ottoscaler-data-"));
  made.push(dir);
  return dir;
}

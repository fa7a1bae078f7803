import { watch } from "node:fs";
import path from "node:path";

/**
 * Calls `onChange` when the file may have changed. It watches the file's
 * directory, not the file: a file replaced by a rename (how editors, `mv`
 * and Kubernetes' Secret volumes update files) is a new inode a watch on the
 * old one would never see. Callers re-read and compare; spurious calls are fine.
 */
export function watchFile(file: string, onChange: () => void): { close(): void } {
  let pending = false;
  const watcher = watch(path.dirname(file), { persistent: false }, () => {
    // One call for a burst of events (a rename is several).
    if (pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      onChange();
    });
  });
  // A directory that goes away leaves nothing to watch; the last good content stays in use.
  watcher.on("error", () => watcher.close());
  return { close: () => watcher.close() };
}

// Type-only, yet a dependency: engine ↛ logs-store.
import type { BuildStore } from "../logs/store/build-store.ts";

export function count(store: BuildStore): number {
  return store.size;
}

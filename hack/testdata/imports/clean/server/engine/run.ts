import type { Executor } from "../executor/executor.ts";
import { logs } from "../logs/log-hub.ts";

export function run(executor?: Executor): string {
  return executor?.name ?? logs;
}

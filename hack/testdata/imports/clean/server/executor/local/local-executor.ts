import type { Executor } from "../executor.ts";

export class LocalExecutor implements Executor {
  readonly name = "local";
}

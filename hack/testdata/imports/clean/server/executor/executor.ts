export interface Executor {
  readonly name: string;
}

export type WorkerStream = "stdout" | "stderr";

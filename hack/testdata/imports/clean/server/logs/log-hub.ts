// Logs may use the executor interface's types, beside it.
import type { WorkerStream } from "../executor/executor.ts";
import { twice } from "../util/twice.ts";

const stream: WorkerStream = "stdout";
export const logs = twice(stream);

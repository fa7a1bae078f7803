// The composition root may import anything.
import { service } from "./api/service.ts";
import { LocalExecutor } from "./executor/local/local-executor.ts";
import { BuildStore } from "./logs/store/build-store.ts";

export const app = { service, executor: new LocalExecutor(), store: new BuildStore() };

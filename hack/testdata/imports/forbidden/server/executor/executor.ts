// An import("…") type: executor ↛ logs.
export type Hub = import("../logs/log-hub.ts").LogHub;

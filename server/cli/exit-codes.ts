/** Exit codes of ottoctl; the README documents them. */
export const exitCodes = {
  /** The command worked; for run and watch: the pipeline SUCCEEDED. */
  ok: 0,
  /** run and watch: the pipeline FAILED or was CANCELLED. */
  pipelineFailed: 1,
  /** Bad usage, an unreadable pipeline file, or an error from the server or the connection. */
  error: 2,
  /** Ctrl-C: run and watch detach, the pipeline keeps running. */
  interrupted: 130,
} as const;

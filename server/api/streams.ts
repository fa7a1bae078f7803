/** A signal that aborts when the client goes away or the server begins to stop. */
export function streamSignal(client: AbortSignal, stopping: AbortSignal): AbortSignal {
  return AbortSignal.any([client, stopping]);
}

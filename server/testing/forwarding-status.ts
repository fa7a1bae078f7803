import assert from "node:assert/strict";
import type { Client } from "@connectrpc/connect";
import type {
  LogForwardingDestination,
  LogStreamingService,
} from "../../gen/ottoscaler/v1/log_streaming_pb.js";

/**
 * The controller's one forwarding destination once `done` holds for it,
 * asking GetLogForwardingStatus (the status RPC is how anyone watches delivery).
 */
export async function forwardingWhen(
  logs: Client<typeof LogStreamingService>,
  done: (status: LogForwardingDestination) => boolean,
  timeoutMs = 240_000,
): Promise<LogForwardingDestination> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [status] = (await logs.getLogForwardingStatus({})).destinations;
    assert.ok(status !== undefined, "forwarding is configured");
    if (done(status)) return status;
    if (Date.now() > deadline) assert.fail(`not reached in time: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Everything recorded acknowledged, and at least `minimum` entries in all. */
export function caughtUp(minimum = 1) {
  return (s: LogForwardingDestination) =>
    s.lagEntries === 0n && s.acknowledgedEntriesTotal >= BigInt(minimum);
}

import { isMessage } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { PipelineProgressSchema } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { OttoscalerError } from "../domain/errors.ts";
import { isFinal } from "../domain/pipeline-status.ts";
import { mapStreamMessages } from "./stream-messages.ts";

/** A pipeline's progress stream that has sent the pipeline's final event is complete. */
function completes(message: unknown): boolean {
  return (
    isMessage(message, PipelineProgressSchema) && message.stageId === "" && isFinal(message.status)
  );
}

/**
 * A stream still open when the server begins to shut down ends "unavailable" (retryable),
 * however its source ended (a pipeline left for the next controller, workers closed, logs
 * closed): the client is to reconnect, and the pipelines go on. Not a pipeline's stream that
 * sent its final event (e.g. CANCELLED by the local executor's shutdown): it has nothing left
 * to say. A client that left itself is not told anything.
 */
export function createShutdownInterceptor(stopping: AbortSignal): Interceptor {
  const shuttingDown = () =>
    new OttoscalerError(
      "unavailable",
      "the server is shutting down; retry (on this or the next server): running pipelines go on",
    );
  return (next) => async (req) =>
    mapStreamMessages(await next(req), async function* (messages) {
      let last: unknown;
      try {
        for await (const message of messages) {
          last = message;
          yield message;
        }
      } catch (error) {
        if (stopping.aborted && !req.signal.aborted) throw shuttingDown();
        throw error;
      }
      if (stopping.aborted && !req.signal.aborted && !completes(last)) throw shuttingDown();
    });
}

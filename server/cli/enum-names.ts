import type { DescEnum } from "@bufbuild/protobuf";
import { LogStreamSchema } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { PipelineStatusSchema } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { WorkerEventTypeSchema, WorkerPhaseSchema } from "../../gen/ottoscaler/v1/worker_pb.js";

/** The short name of an enum value: RUNNING for PIPELINE_STATUS_RUNNING. */
export function shortName(schema: DescEnum, value: number): string {
  return schema.value[value]?.localName ?? String(value);
}

export const pipelineStatusName = (value: number): string => shortName(PipelineStatusSchema, value);
export const workerPhaseName = (value: number): string => shortName(WorkerPhaseSchema, value);
export const workerEventTypeName = (value: number): string =>
  shortName(WorkerEventTypeSchema, value);
export const logStreamName = (value: number): string => shortName(LogStreamSchema, value);

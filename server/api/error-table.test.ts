import assert from "node:assert/strict";
import { once } from "node:events";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import type { DescMethod, MessageInitShape } from "@bufbuild/protobuf";
import {
  type Client,
  Code,
  ConnectError,
  createClient,
  createRouterTransport,
} from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import {
  Health,
  type HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../gen/grpc/health/v1/health_pb.js";
import { OttoHandlerIngestService } from "../../gen/otto/handler/v1/handler_pb.js";
import {
  type BuildIdentifierSchema,
  LogStreamingService,
  type WorkerIdentifierSchema,
} from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";
import type {
  CancelPipelineRequestSchema,
  PipelineRequestSchema,
  Stage,
  StageSchema,
  WatchPipelineRequestSchema,
} from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type {
  ScaleRequestSchema,
  WorkerStatusRequestSchema,
} from "../../gen/ottoscaler/v1/worker_pb.js";
import { type App, createApp } from "../app.ts";
import { loadConfig } from "../config/config.ts";
import { MemoryExecutor } from "../executor/memory/memory-executor.ts";
import { silentLogger } from "../observability/logger.ts";
import { tempDataDir } from "../testing/data-dir.ts";
import {
  collect,
  createTransport,
  type Protocol,
  protocols,
  startTestServer,
  type TestServer,
} from "../testing/test-server.ts";
import { routes } from "./routes.ts";

/**
 * What clients see for bad input, per RPC: code and exact message. Error
 * handling is being rewritten; this table must pass unchanged before and after.
 * It runs in process (createRouterTransport over routes(app)) and over a real
 * socket with each protocol, against servers holding these pipelines:
 *   done     finished, in memory          running   running until the server stops
 *   stored   finished before a restart    gone      removed by retention
 * and, on a second server allowed one active pipeline, "occupant", running.
 */

// Small bounds, so that the rows can go past them cheaply.
const limits = {
  OTTOSCALER_MAX_STAGES: "5",
  OTTOSCALER_MAX_WORKERS_PER_STAGE: "4",
  OTTOSCALER_MAX_ATTEMPTS: "3",
  OTTOSCALER_MAX_BACKOFF_MS: "1000",
  OTTOSCALER_MAX_REQUEST_BYTES: "1024",
};
const atCapacity = { ...limits, OTTOSCALER_MAX_ACTIVE_PIPELINES: "1" };

interface Clients {
  ottoscaler: Client<typeof OttoscalerService>;
  logs: Client<typeof LogStreamingService>;
  health: Client<typeof Health>;
}

/** Each RPC, called and read to its end: a stream's error arrives while it is read. */
const calls = {
  ScaleUp: (c: Clients, req: MessageInitShape<typeof ScaleRequestSchema>) =>
    c.ottoscaler.scaleUp(req),
  ScaleDown: (c: Clients, req: MessageInitShape<typeof ScaleRequestSchema>) =>
    c.ottoscaler.scaleDown(req),
  GetWorkerStatus: (c: Clients, req: MessageInitShape<typeof WorkerStatusRequestSchema>) =>
    c.ottoscaler.getWorkerStatus(req),
  WatchWorkers: (c: Clients, req: MessageInitShape<typeof WorkerStatusRequestSchema>) =>
    collect(c.ottoscaler.watchWorkers(req)),
  ExecutePipeline: (c: Clients, req: MessageInitShape<typeof PipelineRequestSchema>) =>
    collect(c.ottoscaler.executePipeline(req)),
  WatchPipeline: (c: Clients, req: MessageInitShape<typeof WatchPipelineRequestSchema>) =>
    collect(c.ottoscaler.watchPipeline(req)),
  CancelPipeline: (c: Clients, req: MessageInitShape<typeof CancelPipelineRequestSchema>) =>
    c.ottoscaler.cancelPipeline(req),
  StreamWorkerLogs: (c: Clients, req: MessageInitShape<typeof WorkerIdentifierSchema>) =>
    collect(c.logs.streamWorkerLogs(req)),
  StreamBuildLogs: (c: Clients, req: MessageInitShape<typeof BuildIdentifierSchema>) =>
    collect(c.logs.streamBuildLogs(req)),
  "Health.Check": (c: Clients, req: MessageInitShape<typeof HealthCheckRequestSchema>) =>
    c.health.check(req),
};
type Rpc = keyof typeof calls;

interface Expect {
  code: Code;
  /** ConnectError.rawMessage, with any ISO timestamp written as <time>. */
  message: string;
}

type Row = {
  [R in Rpc]: {
    rpc: R;
    name: string;
    request: Parameters<(typeof calls)[R]>[1];
    expect: Expect;
    /** Ask the server that is at its active-pipeline limit. */
    atCapacity?: true;
  };
}[Rpc];

const idRule =
  "must be lower-case letters, digits and '-', starting and ending with a letter or digit";
const notQuantity = `is not a Kubernetes quantity (e.g. "500m", "256Mi")`;
const commandRequired = "is required (a shell line, or an argv)";
const id41 = "a".repeat(41);
const id31 = "s".repeat(31);

/** A stage as an init object (the shape's other half is a full message). */
type StageInit = Exclude<MessageInitShape<typeof StageSchema>, Stage>;
function stage(id: string, extra: Omit<StageInit, "id"> = {}): StageInit {
  return { id, command: ["true"], ...extra };
}
const one = [stage("a")];

function invalid(message: string): Expect {
  return { code: Code.InvalidArgument, message };
}
function notFound(message: string): Expect {
  return { code: Code.NotFound, message };
}

const rows: Row[] = [
  // ExecutePipeline: the pipeline's own fields.
  {
    rpc: "ExecutePipeline",
    name: "a pipelineId over 40 characters",
    request: { pipelineId: id41, stages: one },
    expect: invalid(`pipelineId: "${id41}" is longer than 40 characters`),
  },
  {
    rpc: "ExecutePipeline",
    name: "a pipelineId with upper case and '_'",
    request: { pipelineId: "Build_1", stages: one },
    expect: invalid(`pipelineId: "Build_1" ${idRule}`),
  },
  {
    rpc: "ExecutePipeline",
    name: "a pipelineId starting with '-'",
    request: { pipelineId: "-build", stages: one },
    expect: invalid(`pipelineId: "-build" ${idRule}`),
  },
  {
    rpc: "ExecutePipeline",
    name: "a pipelineId ending with '-'",
    request: { pipelineId: "build-", stages: one },
    expect: invalid(`pipelineId: "build-" ${idRule}`),
  },
  {
    rpc: "ExecutePipeline",
    name: "no stages",
    request: {},
    expect: invalid("stages: a pipeline needs at least one stage"),
  },
  {
    rpc: "ExecutePipeline",
    name: "more stages than OTTOSCALER_MAX_STAGES",
    request: { stages: ["a", "b", "c", "d", "e", "f"].map((id) => stage(id)) },
    expect: invalid("stages: 6 stages is over the limit of 5"),
  },
  {
    rpc: "ExecutePipeline",
    name: "too many stages: the pipelineId is named too, the stages themselves are not looked at",
    request: {
      pipelineId: "X",
      stages: Array.from({ length: 6 }, () => stage("", { command: [] })),
    },
    expect: invalid(`pipelineId: "X" ${idRule}; stages: 6 stages is over the limit of 5`),
  },
  {
    rpc: "ExecutePipeline",
    name: "more than 10 problems: the first 10 and how many more",
    request: {
      pipelineId: "X",
      stages: Array.from({ length: 5 }, () => stage("", { command: [] })),
    },
    expect: invalid(
      [
        `pipelineId: "X" ${idRule}`,
        "stages[0].id: is required",
        `stages[0].command: ${commandRequired}`,
        "stages[1].id: is required",
        `stages[1].command: ${commandRequired}`,
        "stages[2].id: is required",
        `stages[2].command: ${commandRequired}`,
        "stages[3].id: is required",
        `stages[3].command: ${commandRequired}`,
        "stages[4].id: is required",
        "and 1 more",
      ].join("; "),
    ),
  },
  // ExecutePipeline: a stage's fields.
  {
    rpc: "ExecutePipeline",
    name: "a stage without an id",
    request: { stages: [stage("")] },
    expect: invalid("stages[0].id: is required"),
  },
  {
    rpc: "ExecutePipeline",
    name: "a stage id over 30 characters",
    request: { stages: [stage(id31)] },
    expect: invalid(`stages[0].id: "${id31}" is longer than 30 characters`),
  },
  {
    rpc: "ExecutePipeline",
    name: "a stage id with upper case and '_'",
    request: { stages: [stage("Unit_Test")] },
    expect: invalid(`stages[0].id: "Unit_Test" ${idRule}`),
  },
  {
    rpc: "ExecutePipeline",
    name: "the same stage id three times: each repeat points at the first",
    request: { stages: [stage("a"), stage("b"), stage("a"), stage("a")] },
    expect: invalid(
      `stages[2].id: duplicate stage id "a" (also stages[0]); stages[3].id: duplicate stage id "a" (also stages[0])`,
    ),
  },
  {
    rpc: "ExecutePipeline",
    name: "a stage without a command",
    request: { stages: [stage("a", { command: [] })] },
    expect: invalid(`stages[0].command: ${commandRequired}`),
  },
  {
    rpc: "ExecutePipeline",
    name: "a stage whose command starts with an empty string",
    request: { stages: [stage("a", { command: ["", "echo"] })] },
    expect: invalid(`stages[0].command: ${commandRequired}`),
  },
  {
    rpc: "ExecutePipeline",
    name: "env names that are not variable names",
    request: { stages: [stage("a", { env: { "1ST": "x", "MY-VAR": "y" } })] },
    expect: invalid(
      `stages[0].env["1ST"]: is not a valid environment variable name; stages[0].env["MY-VAR"]: is not a valid environment variable name`,
    ),
  },
  {
    rpc: "ExecutePipeline",
    name: "an OTTOSCALER_ env variable",
    request: { stages: [stage("a", { env: { OTTOSCALER_STAGE_ID: "x" } })] },
    expect: invalid(
      `stages[0].env["OTTOSCALER_STAGE_ID"]: OTTOSCALER_ variables are set by Ottoscaler`,
    ),
  },
  {
    rpc: "ExecutePipeline",
    name: "workers set to 0",
    request: { stages: [stage("a", { workers: 0 })] },
    expect: invalid("stages[0].workers: must be at least 1, got 0"),
  },
  {
    rpc: "ExecutePipeline",
    name: "a negative worker count",
    request: { stages: [stage("a", { workers: -2 })] },
    expect: invalid("stages[0].workers: must be at least 1, got -2"),
  },
  {
    rpc: "ExecutePipeline",
    name: "more workers than OTTOSCALER_MAX_WORKERS_PER_STAGE",
    request: { stages: [stage("a", { workers: 5 })] },
    expect: invalid("stages[0].workers: 5 is over the limit of 4 workers per stage"),
  },
  {
    rpc: "ExecutePipeline",
    name: "a stage depending on an unknown stage",
    request: { stages: [stage("a"), stage("b", { dependsOn: ["deploy"] })] },
    expect: invalid(`stages[1].dependsOn[0]: unknown stage "deploy"`),
  },
  {
    rpc: "ExecutePipeline",
    name: "a dependency listed twice",
    request: { stages: [stage("a"), stage("b", { dependsOn: ["a", "a"] })] },
    expect: invalid(`stages[1].dependsOn[1]: "a" is listed twice`),
  },
  {
    rpc: "ExecutePipeline",
    name: "a stage depending on itself",
    request: { stages: [stage("a", { dependsOn: ["a"] })] },
    expect: invalid("stages: dependency cycle: a → a"),
  },
  {
    rpc: "ExecutePipeline",
    name: "a cycle of three stages",
    request: {
      stages: [
        stage("a", { dependsOn: ["c"] }),
        stage("b", { dependsOn: ["a"] }),
        stage("c", { dependsOn: ["b"] }),
      ],
    },
    expect: invalid("stages: dependency cycle: a → c → b → a"),
  },
  {
    rpc: "ExecutePipeline",
    name: "a cycle among stages with other problems: only the other problems",
    request: {
      stages: [stage("a", { dependsOn: ["b"] }), stage("b", { dependsOn: ["a"], command: [] })],
    },
    expect: invalid(`stages[1].command: ${commandRequired}`),
  },
  {
    rpc: "ExecutePipeline",
    name: "retry.maxAttempts over OTTOSCALER_MAX_ATTEMPTS",
    request: { stages: [stage("a", { retry: { maxAttempts: 4 } })] },
    expect: invalid("stages[0].retry.maxAttempts: 4 is over the limit of 3"),
  },
  {
    rpc: "ExecutePipeline",
    name: "retry.maxBackoffMs over OTTOSCALER_MAX_BACKOFF_MS",
    request: { stages: [stage("a", { retry: { maxBackoffMs: 1001 } })] },
    expect: invalid("stages[0].retry.maxBackoffMs: 1001 is over the limit of 1000"),
  },
  {
    rpc: "ExecutePipeline",
    name: "retry.initialBackoffMs over the stage's maxBackoffMs",
    request: { stages: [stage("a", { retry: { initialBackoffMs: 600, maxBackoffMs: 500 } })] },
    expect: invalid("stages[0].retry.initialBackoffMs: 600 is more than maxBackoffMs 500"),
  },
  {
    rpc: "ExecutePipeline",
    name: "retry.initialBackoffMs over OTTOSCALER_MAX_BACKOFF_MS when the stage sets no maximum",
    request: { stages: [stage("a", { retry: { initialBackoffMs: 1500 } })] },
    expect: invalid("stages[0].retry.initialBackoffMs: 1500 is more than maxBackoffMs 1000"),
  },
  {
    rpc: "ExecutePipeline",
    name: "a timeout over 7 days",
    request: { stages: [stage("a", { timeoutSeconds: 604_801 })] },
    expect: invalid("stages[0].timeoutSeconds: 604801 is over the limit of 604800"),
  },
  {
    rpc: "ExecutePipeline",
    name: "resources that are not Kubernetes quantities, each named",
    request: {
      stages: [
        stage("a", {
          resources: {
            cpuRequest: "lots",
            cpuLimit: "1 core",
            memoryRequest: "256MB",
            memoryLimit: "-1Gi",
          },
        }),
      ],
    },
    expect: invalid(
      [
        `stages[0].resources.cpuRequest: "lots" ${notQuantity}`,
        `stages[0].resources.cpuLimit: "1 core" ${notQuantity}`,
        `stages[0].resources.memoryRequest: "256MB" ${notQuantity}`,
        `stages[0].resources.memoryLimit: "-1Gi" ${notQuantity}`,
      ].join("; "),
    ),
  },
  {
    rpc: "ExecutePipeline",
    name: "every problem of one stage, in field order",
    request: {
      stages: [
        stage("a"),
        {
          id: "B",
          command: [],
          env: { "1": "x" },
          workers: 9,
          dependsOn: ["zz"],
          retry: { maxAttempts: 9, initialBackoffMs: 2000, maxBackoffMs: 1500 },
          timeoutSeconds: 10_000_000,
          resources: { memoryLimit: "big" },
        },
      ],
    },
    expect: invalid(
      [
        `stages[1].id: "B" ${idRule}`,
        `stages[1].command: ${commandRequired}`,
        `stages[1].env["1"]: is not a valid environment variable name`,
        "stages[1].workers: 9 is over the limit of 4 workers per stage",
        `stages[1].dependsOn[0]: unknown stage "zz"`,
        "stages[1].retry.maxAttempts: 9 is over the limit of 3",
        "stages[1].retry.maxBackoffMs: 1500 is over the limit of 1000",
        "stages[1].retry.initialBackoffMs: 2000 is more than maxBackoffMs 1500",
        "stages[1].timeoutSeconds: 10000000 is over the limit of 604800",
        `stages[1].resources.memoryLimit: "big" ${notQuantity}`,
      ].join("; "),
    ),
  },
  // ExecutePipeline: ids already taken, and capacity.
  {
    rpc: "ExecutePipeline",
    name: "the id of a running pipeline",
    request: { pipelineId: "running", stages: one },
    expect: { code: Code.AlreadyExists, message: `pipelineId: pipeline "running" already exists` },
  },
  {
    rpc: "ExecutePipeline",
    name: "the id of a finished pipeline",
    request: { pipelineId: "done", stages: one },
    expect: { code: Code.AlreadyExists, message: `pipelineId: pipeline "done" already exists` },
  },
  {
    rpc: "ExecutePipeline",
    name: "the id of a pipeline from before a restart",
    request: { pipelineId: "stored", stages: one },
    expect: { code: Code.AlreadyExists, message: `pipelineId: pipeline "stored" already exists` },
  },
  {
    rpc: "ExecutePipeline",
    name: "the id of a pipeline retention removed",
    request: { pipelineId: "gone", stages: one },
    expect: {
      code: Code.AlreadyExists,
      message: `pipelineId: pipeline "gone" ran before (its logs were removed by retention at <time>); a pipeline id is used once`,
    },
  },
  {
    rpc: "ExecutePipeline",
    name: "a taken id with bad stages: the fields come first",
    request: { pipelineId: "done", stages: [] },
    expect: invalid("stages: a pipeline needs at least one stage"),
  },
  {
    rpc: "ExecutePipeline",
    name: "a new pipeline while OTTOSCALER_MAX_ACTIVE_PIPELINES are running",
    request: { pipelineId: "one-too-many", stages: one },
    expect: {
      code: Code.ResourceExhausted,
      message: "too many pipelines running (1, limit 1); retry later",
    },
    atCapacity: true,
  },
  {
    rpc: "ExecutePipeline",
    name: "a running pipeline's id at the active-pipeline limit: the id comes first",
    request: { pipelineId: "occupant", stages: one },
    expect: { code: Code.AlreadyExists, message: `pipelineId: pipeline "occupant" already exists` },
    atCapacity: true,
  },
  {
    rpc: "ExecutePipeline",
    name: "a bad pipeline at the active-pipeline limit: the fields come first",
    request: { stages: [stage("a", { workers: 0 })] },
    expect: invalid("stages[0].workers: must be at least 1, got 0"),
    atCapacity: true,
  },

  // WatchPipeline
  {
    rpc: "WatchPipeline",
    name: "no pipelineId",
    request: {},
    expect: invalid("pipelineId: is required"),
  },
  {
    rpc: "WatchPipeline",
    name: "a pipelineId over 40 characters",
    request: { pipelineId: id41 },
    expect: invalid(`pipelineId: "${id41}" is longer than 40 characters`),
  },
  {
    rpc: "WatchPipeline",
    name: "a pipelineId with a '.'",
    request: { pipelineId: "build.1" },
    expect: invalid(`pipelineId: "build.1" ${idRule}`),
  },
  {
    rpc: "WatchPipeline",
    name: "an unknown pipeline",
    request: { pipelineId: "nope" },
    expect: notFound(`pipelineId: no pipeline "nope"`),
  },
  {
    rpc: "WatchPipeline",
    name: "a pipeline retention removed",
    request: { pipelineId: "gone" },
    expect: notFound(`pipelineId: pipeline "gone" was removed by retention at <time>`),
  },
  {
    rpc: "WatchPipeline",
    name: "a fromSequence past a finished pipeline's last event + 1",
    request: { pipelineId: "done", fromSequence: 1000n },
    expect: {
      code: Code.OutOfRange,
      message: `fromSequence: 1000 is past the end of pipeline "done", which ended with event 6`,
    },
  },
  {
    rpc: "WatchPipeline",
    name: "a fromSequence past a stored pipeline's last event + 1",
    request: { pipelineId: "stored", fromSequence: 1000n },
    expect: {
      code: Code.OutOfRange,
      message: `fromSequence: 1000 is past the end of pipeline "stored", which ended with event 6`,
    },
  },

  // CancelPipeline
  {
    rpc: "CancelPipeline",
    name: "no pipelineId",
    request: { reason: "test" },
    expect: invalid("pipelineId: is required"),
  },
  {
    rpc: "CancelPipeline",
    name: "a pipelineId over 40 characters",
    request: { pipelineId: id41 },
    expect: invalid(`pipelineId: "${id41}" is longer than 40 characters`),
  },
  {
    rpc: "CancelPipeline",
    name: "a pipelineId with upper case",
    request: { pipelineId: "Done" },
    expect: invalid(`pipelineId: "Done" ${idRule}`),
  },
  {
    rpc: "CancelPipeline",
    name: "an unknown pipeline",
    request: { pipelineId: "nope" },
    expect: notFound(`pipelineId: no pipeline "nope"`),
  },
  {
    rpc: "CancelPipeline",
    name: "a pipeline retention removed",
    request: { pipelineId: "gone" },
    expect: notFound(`pipelineId: pipeline "gone" was removed by retention at <time>`),
  },
  {
    rpc: "CancelPipeline",
    name: "a finished pipeline",
    request: { pipelineId: "done" },
    expect: {
      code: Code.FailedPrecondition,
      message: `pipelineId: pipeline "done" has already ended`,
    },
  },
  {
    rpc: "CancelPipeline",
    name: "a pipeline that ended before a restart",
    request: { pipelineId: "stored" },
    expect: {
      code: Code.FailedPrecondition,
      message: `pipelineId: pipeline "stored" has already ended`,
    },
  },

  // ScaleUp
  {
    rpc: "ScaleUp",
    name: "an empty request: every required field, in order",
    request: {},
    expect: invalid(
      `taskId: is required; workerCount: must be at least 1, got 0; command: ${commandRequired}`,
    ),
  },
  {
    rpc: "ScaleUp",
    name: "a taskId over 40 characters",
    request: { taskId: id41, workerCount: 1, command: ["true"] },
    expect: invalid(`taskId: "${id41}" is longer than 40 characters`),
  },
  {
    rpc: "ScaleUp",
    name: "a taskId with a '.' (worker ids are taskId.wN)",
    request: { taskId: "task.1", workerCount: 1, command: ["true"] },
    expect: invalid(`taskId: "task.1" ${idRule}`),
  },
  {
    rpc: "ScaleUp",
    name: "a negative workerCount",
    request: { taskId: "t", workerCount: -1, command: ["true"] },
    expect: invalid("workerCount: must be at least 1, got -1"),
  },
  {
    rpc: "ScaleUp",
    name: "more workers than OTTOSCALER_MAX_WORKERS_PER_STAGE",
    request: { taskId: "t", workerCount: 5, command: ["true"] },
    expect: invalid("workerCount: 5 is over the limit of 4 workers per ScaleUp"),
  },
  {
    rpc: "ScaleUp",
    name: "a command of one empty string",
    request: { taskId: "t", workerCount: 1, command: [""] },
    expect: invalid(`command: ${commandRequired}`),
  },
  {
    rpc: "ScaleUp",
    name: "env names that are not variable names, and an OTTOSCALER_ one",
    request: {
      taskId: "t",
      workerCount: 1,
      command: ["true"],
      env: { "A B": "x", OTTOSCALER_WORKER_ID: "y" },
    },
    expect: invalid(
      `env["A B"]: is not a valid environment variable name; env["OTTOSCALER_WORKER_ID"]: OTTOSCALER_ variables are set by Ottoscaler`,
    ),
  },
  {
    rpc: "ScaleUp",
    name: "resources that are not Kubernetes quantities",
    request: {
      taskId: "t",
      workerCount: 1,
      command: ["true"],
      resources: { cpuRequest: "0.5 cpu", memoryLimit: "1 GB" },
    },
    expect: invalid(
      `resources.cpuRequest: "0.5 cpu" ${notQuantity}; resources.memoryLimit: "1 GB" ${notQuantity}`,
    ),
  },

  // ScaleDown
  {
    rpc: "ScaleDown",
    name: "an empty request",
    request: {},
    expect: invalid("taskId: is required; workerCount: must be at least 1, got 0"),
  },
  {
    rpc: "ScaleDown",
    name: "a taskId over 40 characters",
    request: { taskId: id41, workerCount: 1 },
    expect: invalid(`taskId: "${id41}" is longer than 40 characters`),
  },
  {
    rpc: "ScaleDown",
    name: "a taskId with upper case",
    request: { taskId: "Task", workerCount: 1 },
    expect: invalid(`taskId: "Task" ${idRule}`),
  },
  {
    rpc: "ScaleDown",
    name: "more workers than OTTOSCALER_MAX_WORKERS_PER_STAGE",
    request: { taskId: "t", workerCount: 5 },
    expect: invalid("workerCount: 5 is over the limit of 4 workers per ScaleDown"),
  },
  {
    rpc: "ScaleDown",
    name: "an unknown task",
    request: { taskId: "nope", workerCount: 1 },
    expect: notFound(`taskId: no task "nope"`),
  },
  {
    rpc: "ScaleDown",
    name: "an unknown task with fields only ScaleUp uses, bad: those are not looked at",
    request: { taskId: "nope", workerCount: 1, env: { "1": "x" }, resources: { cpuLimit: "?" } },
    expect: notFound(`taskId: no task "nope"`),
  },

  // GetWorkerStatus and WatchWorkers: the filter.
  {
    rpc: "GetWorkerStatus",
    name: "a taskId with upper case",
    request: { taskId: "Task" },
    expect: invalid(`taskId: "Task" ${idRule}`),
  },
  {
    rpc: "GetWorkerStatus",
    name: "a taskId over 40 characters",
    request: { taskId: id41 },
    expect: invalid(`taskId: "${id41}" is longer than 40 characters`),
  },
  {
    rpc: "GetWorkerStatus",
    name: "a pipelineId with '_'",
    request: { pipelineId: "my_pipeline" },
    expect: invalid(`pipelineId: "my_pipeline" ${idRule}`),
  },
  {
    rpc: "GetWorkerStatus",
    name: "a bad taskId and a pipelineId over 40 characters",
    request: { taskId: "-t", pipelineId: id41 },
    expect: invalid(`taskId: "-t" ${idRule}; pipelineId: "${id41}" is longer than 40 characters`),
  },
  {
    rpc: "WatchWorkers",
    name: "a taskId with upper case",
    request: { taskId: "Task" },
    expect: invalid(`taskId: "Task" ${idRule}`),
  },
  {
    rpc: "WatchWorkers",
    name: "a pipelineId over 40 characters",
    request: { pipelineId: id41 },
    expect: invalid(`pipelineId: "${id41}" is longer than 40 characters`),
  },
  {
    rpc: "WatchWorkers",
    name: "a bad taskId and a bad pipelineId",
    request: { taskId: "t-", pipelineId: "P" },
    expect: invalid(`taskId: "t-" ${idRule}; pipelineId: "P" ${idRule}`),
  },

  // StreamWorkerLogs
  {
    rpc: "StreamWorkerLogs",
    name: "no workerId",
    request: { follow: true },
    expect: invalid("workerId: is required"),
  },
  {
    rpc: "StreamWorkerLogs",
    name: "an unknown worker",
    request: { workerId: "nope" },
    expect: notFound(`workerId: no worker "nope"`),
  },
  {
    rpc: "StreamWorkerLogs",
    name: "a workerId of no id shape (it is not checked, only looked up)",
    request: { workerId: "../Not A Worker" },
    expect: notFound(`workerId: no worker "../Not A Worker"`),
  },
  {
    rpc: "StreamWorkerLogs",
    name: "a worker of a pipeline retention removed",
    request: { workerId: "gone.forever.a1.w0" },
    expect: notFound(`workerId: no worker "gone.forever.a1.w0"`),
  },

  // StreamBuildLogs
  {
    rpc: "StreamBuildLogs",
    name: "no pipelineId",
    request: { stageId: "build" },
    expect: invalid("pipelineId: is required"),
  },
  {
    rpc: "StreamBuildLogs",
    name: "a pipelineId over 40 characters",
    request: { pipelineId: id41 },
    expect: invalid(`pipelineId: "${id41}" is longer than 40 characters`),
  },
  {
    rpc: "StreamBuildLogs",
    name: "a pipelineId with upper case",
    request: { pipelineId: "Done" },
    expect: invalid(`pipelineId: "Done" ${idRule}`),
  },
  {
    rpc: "StreamBuildLogs",
    name: "a stageId over 30 characters",
    request: { pipelineId: "done", stageId: id31 },
    expect: invalid(`stageId: "${id31}" is longer than 30 characters`),
  },
  {
    rpc: "StreamBuildLogs",
    name: "a bad pipelineId and a bad stageId",
    request: { pipelineId: "Done", stageId: "Build!" },
    expect: invalid(`pipelineId: "Done" ${idRule}; stageId: "Build!" ${idRule}`),
  },
  {
    rpc: "StreamBuildLogs",
    name: "an unknown pipeline",
    request: { pipelineId: "nope" },
    expect: notFound(`pipelineId: no pipeline "nope"`),
  },
  {
    rpc: "StreamBuildLogs",
    name: "an unknown pipeline and a stageId: the pipeline is named",
    request: { pipelineId: "nope", stageId: "build" },
    expect: notFound(`pipelineId: no pipeline "nope"`),
  },
  {
    rpc: "StreamBuildLogs",
    name: "a pipeline retention removed",
    request: { pipelineId: "gone" },
    expect: notFound(`pipelineId: pipeline "gone" was removed by retention at <time>`),
  },
  {
    rpc: "StreamBuildLogs",
    name: "a stage a finished pipeline does not have",
    request: { pipelineId: "done", stageId: "deploy" },
    expect: notFound(`stageId: pipeline "done" has no stage "deploy"`),
  },
  {
    rpc: "StreamBuildLogs",
    name: "a stage a running pipeline does not have",
    request: { pipelineId: "running", stageId: "deploy", follow: true },
    expect: notFound(`stageId: pipeline "running" has no stage "deploy"`),
  },
  {
    rpc: "StreamBuildLogs",
    name: "a stage a pipeline from before a restart does not have",
    request: { pipelineId: "stored", stageId: "deploy" },
    expect: notFound(`stageId: pipeline "stored" has no stage "deploy"`),
  },

  // grpc.health.v1.Health/Check
  {
    rpc: "Health.Check",
    name: "an unknown service",
    request: { service: "nope" },
    expect: notFound(`service: unknown service "nope"`),
  },
  {
    rpc: "Health.Check",
    name: "the health service itself (only the API's services are reported)",
    request: { service: "grpc.health.v1.Health" },
    expect: notFound(`service: unknown service "grpc.health.v1.Health"`),
  },
  {
    rpc: "Health.Check",
    name: "a service name in the wrong case",
    request: { service: "ottoscaler.v1.ottoscalerservice" },
    expect: notFound(`service: unknown service "ottoscaler.v1.ottoscalerservice"`),
  },
];

/** Bad input that is answered, not refused: pinned as well, since a refactor could change it. */
const answered: { name: string; answer: (c: Clients) => Promise<unknown>; expect: unknown }[] = [
  {
    name: "GetWorkerStatus: a pipelineId no pipeline has → no workers",
    answer: async (c) => (await c.ottoscaler.getWorkerStatus({ pipelineId: "nope" })).workers,
    expect: [],
  },
  {
    name: "GetWorkerStatus: a taskId no task has → no workers",
    answer: async (c) => (await c.ottoscaler.getWorkerStatus({ taskId: "nope" })).workers,
    expect: [],
  },
  {
    name: "StreamWorkerLogs: a worker a known pipeline never had → an empty log",
    answer: (c) => collect(c.logs.streamWorkerLogs({ workerId: "done.build.a1.w7" })),
    expect: [],
  },
  {
    name: "Health.Watch: an unknown service → SERVICE_UNKNOWN, then the stream ends",
    answer: async (c) =>
      (await collect(c.health.watch({ service: "nope" }))).map((r) => ServingStatus[r.status]),
    expect: ["SERVICE_UNKNOWN"],
  },
];

const timestamp = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;

/** What a refused call says, with the code by name so a mismatch reads well. */
async function refusal(answer: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await answer;
  } catch (error) {
    assert.ok(error instanceof ConnectError, `expected a ConnectError, got ${error}`);
    return { code: Code[error.code], message: error.rawMessage.replace(timestamp, "<time>") };
  }
  return assert.fail("the call was answered, not refused");
}

function named(expect: Expect): { code: string; message: string } {
  return { code: Code[expect.code], message: expect.message };
}

function title(row: Row): string {
  return `${row.rpc}: ${row.name} → ${Code[row.expect.code]}`;
}

async function check(row: Row, clients: Clients): Promise<void> {
  // The rows pair each rpc with its own request type; TypeScript cannot follow that pairing.
  const call = calls[row.rpc] as (c: Clients, req: Row["request"]) => Promise<unknown>;
  assert.deepEqual(await refusal(call(clients, row.request)), named(row.expect));
}

/** Runs until stopped, so "running" and "occupant" stay active. */
function memoryExecutor(): MemoryExecutor {
  return new MemoryExecutor((spec) =>
    spec.command[0] === "forever" ? { durationMs: Number.POSITIVE_INFINITY } : {},
  );
}

function inProcessClients(app: App): Clients {
  const transport = createRouterTransport(routes(app));
  return {
    ottoscaler: createClient(OttoscalerService, transport),
    logs: createClient(LogStreamingService, transport),
    health: createClient(Health, transport),
  };
}

async function openApp(env: Record<string, string>, dataDir = tempDataDir()): Promise<App> {
  const config = loadConfig({ ...env, OTTOSCALER_DATA_DIR: dataDir });
  const app = createApp(config, { executor: memoryExecutor(), logger: silentLogger });
  await app.open();
  return app;
}

/** Starts a pipeline that runs until its server stops; returns once it is queued. */
async function startForever(c: Clients, pipelineId: string): Promise<void> {
  // The pipeline outlives its stream, so the call is cancelled after the first event. Only
  // leaving the loop would keep the HTTP/2 stream open, holding up the server's close.
  const leave = new AbortController();
  const stream = c.ottoscaler.executePipeline(
    { pipelineId, stages: [{ id: "forever", command: ["forever"] }] },
    { signal: leave.signal },
  );
  for await (const _ of stream) {
    leave.abort();
    break;
  }
}

/**
 * A data directory where "stored" ended before a restart and "gone" was
 * removed by retention. Each ends by its app's shutdown, which waits until
 * it is sealed on disk: so retention may take "gone", and no write is pending.
 */
async function preparedDataDir(): Promise<string> {
  const dataDir = tempDataDir();
  const first = await openApp(limits, dataDir);
  await startForever(inProcessClients(first), "gone");
  await first.shutdown();
  const second = await openApp(limits, dataDir);
  // Past OTTOSCALER_LOG_RETENTION_HOURS (168 by default) from now.
  await second.applyRetention(Date.now() + 200 * 3_600_000);
  await startForever(inProcessClients(second), "stored");
  await second.shutdown();
  return dataDir;
}

/** The pipelines the rows refer to that live in the serving process itself. */
async function addLivePipelines(main: Clients, full: Clients): Promise<void> {
  await collect(main.ottoscaler.executePipeline({ pipelineId: "done", stages: [stage("build")] }));
  await startForever(main, "running");
  await startForever(full, "occupant");
}

function runRows(clients: () => { main: Clients; full: Clients }): void {
  for (const row of rows) {
    it(title(row), async () => {
      const { main, full } = clients();
      await check(row, row.atCapacity ? full : main);
    });
  }
  for (const row of answered) {
    it(row.name, async () => {
      assert.deepEqual(await row.answer(clients().main), row.expect);
    });
  }
}

/** The wire formats, as a peer that is not connect-es might send them. */
type Wire = "grpc" | "grpc-web" | "connect+proto" | "connect+json";

const streaming = (m: DescMethod) => m.methodKind !== "unary";
/** Connect frames streaming requests only; gRPC and gRPC-Web frame every one. */
const framed = (wire: Wire, m: DescMethod) => !wire.startsWith("connect") || streaming(m);

function contentType(wire: Wire, m: DescMethod): string {
  switch (wire) {
    case "grpc":
      return "application/grpc";
    case "grpc-web":
      return "application/grpc-web+proto";
    case "connect+proto":
      return streaming(m) ? "application/connect+proto" : "application/proto";
    case "connect+json":
      return streaming(m) ? "application/connect+json" : "application/json";
  }
}

function frame(payload: Uint8Array, declaredLength = payload.length): Uint8Array {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([head, payload]);
}

/** 2000 bytes that are a valid message of any type (one unknown field), or JSON object. */
function oversized(json: boolean): Uint8Array {
  if (json) return Buffer.from(`{"pad":"${"x".repeat(1990)}"}`);
  // Field 15, length-delimited (tag 0x7a), 1997 bytes long (varint 0xcd 0x0f).
  return Buffer.concat([Buffer.from([0x7a, 0xcd, 0x0f]), Buffer.alloc(1997, 0x78)]);
}

interface RawCase {
  wire: Wire;
  name: string;
  /** The request body for this RPC; undefined where the case does not apply. */
  body(m: DescMethod): Uint8Array | undefined;
  expect(m: DescMethod): Expect;
}

const wires: Wire[] = ["grpc", "grpc-web", "connect+proto", "connect+json"];

const rawCases: RawCase[] = wires.flatMap((wire): RawCase[] => [
  {
    wire,
    name: "a body that does not decode as the request message → InvalidArgument, for every RPC",
    body(m) {
      // Field 1 with wire type 7, which does not exist; for JSON, not JSON at all.
      const payload = wire === "connect+json" ? Buffer.from("not json") : Buffer.from([0x0f]);
      return framed(wire, m) ? frame(payload) : payload;
    },
    expect(m) {
      const type = m.input.typeName;
      if (wire === "connect+json") {
        return invalid(
          `cannot decode message ${type} from JSON: Unexpected token 'o', "not json" is not valid JSON`,
        );
      }
      // Looks wrong (reported): the body check empties the body but keeps its
      // content-length, so connect-es reports the length, not the decoding problem.
      if (!framed(wire, m)) return invalid("protocol error: promised 1 bytes, received 0");
      return invalid(`request body is not a valid ${type}: illegal tag: field no 1 wire type 7`);
    },
  },
  {
    wire,
    name: "a request over OTTOSCALER_MAX_REQUEST_BYTES → ResourceExhausted, for every RPC",
    body(m) {
      const payload = oversized(wire === "connect+json");
      return framed(wire, m) ? frame(payload) : payload;
    },
    expect() {
      return {
        code: Code.ResourceExhausted,
        message: "message size 2000 is larger than configured readMaxBytes 1024",
      };
    },
  },
  {
    wire,
    name: "a frame shorter than its declared length → InvalidArgument, for every framed RPC",
    body(m) {
      if (!framed(wire, m)) return undefined;
      return frame(Buffer.from(wire === "connect+json" ? "{" : [0x0a]), 9);
    },
    expect(m) {
      if (wire === "connect+json") return invalid("protocol error: incomplete envelope");
      return invalid(`request body is not a valid ${m.input.typeName}: truncated message frame`);
    },
  },
]);

/** The gRPC status (or Connect error) a raw request gets back. */
async function sendRaw(
  url: string,
  wire: Wire,
  m: DescMethod,
  body: Uint8Array,
): Promise<{ code: string; message: string }> {
  const path = `/${m.parent.typeName}/${m.name}`;
  if (wire === "grpc") return sendGrpc(url, path, body);
  const res = await fetch(url + path, {
    method: "POST",
    headers: {
      "content-type": contentType(wire, m),
      ...(wire === "grpc-web" && { "x-grpc-web": "1" }),
    },
    body,
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  if (wire === "grpc-web") {
    const trailer = frames(bytes).find((f) => (f.flags & 0x80) !== 0);
    const fields = new Map(
      (trailer?.data.toString() ?? "")
        .split("\r\n")
        .filter((line) => line !== "")
        .map((line) => {
          const colon = line.indexOf(":");
          return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()] as const;
        }),
    );
    return grpcStatus(
      fields.get("grpc-status") ?? res.headers.get("grpc-status"),
      fields.get("grpc-message") ?? res.headers.get("grpc-message"),
    );
  }
  // Connect: a streaming error is in the end-of-stream frame, a unary one is the body.
  type ErrorJson = { code?: string; message?: string };
  const error = framed(wire, m)
    ? (JSON.parse(endOfStream(bytes)) as { error?: ErrorJson }).error
    : (JSON.parse(bytes.toString()) as ErrorJson);
  return { code: connectCode(error?.code ?? ""), message: error?.message ?? "" };
}

function endOfStream(bytes: Buffer): string {
  return (
    frames(bytes)
      .find((f) => (f.flags & 0x02) !== 0)
      ?.data.toString() ?? "{}"
  );
}

async function sendGrpc(
  url: string,
  path: string,
  body: Uint8Array,
): Promise<{ code: string; message: string }> {
  const session = http2.connect(url);
  try {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    // An error before any message comes trailers-only, in the response headers.
    const status: http2.IncomingHttpHeaders = {};
    stream.on("response", (headers) => Object.assign(status, headers));
    stream.on("trailers", (trailers) => Object.assign(status, trailers));
    stream.resume();
    stream.end(body);
    await once(stream, "close");
    return grpcStatus(status["grpc-status"], status["grpc-message"]);
  } finally {
    session.close();
  }
}

function grpcStatus(
  status: string | string[] | null | undefined,
  message: string | string[] | null | undefined,
): { code: string; message: string } {
  return {
    code: Code[Number(status)] ?? `grpc-status ${status}`,
    message: decodeURIComponent(String(message ?? "")),
  };
}

/** "invalid_argument" → "InvalidArgument", the Code's name. */
function connectCode(name: string): string {
  return name.replace(/(?:^|_)([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function frames(bytes: Buffer): { flags: number; data: Buffer }[] {
  const out: { flags: number; data: Buffer }[] = [];
  for (let at = 0; at + 5 <= bytes.length; ) {
    const length = bytes.readUInt32BE(at + 1);
    out.push({ flags: bytes[at] ?? 0, data: bytes.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

describe("in process", () => {
  let main: App;
  let full: App;
  before(async () => {
    main = await openApp(limits, await preparedDataDir());
    full = await openApp(atCapacity);
    await addLivePipelines(inProcessClients(main), inProcessClients(full));
  });
  after(() => Promise.all([main.shutdown(), full.shutdown()]));
  runRows(() => ({ main: inProcessClients(main), full: inProcessClients(full) }));
});

function socketClients(t: TestServer, protocol: Protocol): Clients {
  return {
    ...t.clients(protocol),
    health: createClient(Health, createTransport(protocol, t.url)),
  };
}

describe("over a socket", () => {
  let main: TestServer;
  let full: TestServer;
  before(async () => {
    main = await startTestServer(
      { ...limits, OTTOSCALER_DATA_DIR: await preparedDataDir() },
      { executor: memoryExecutor() },
    );
    full = await startTestServer(atCapacity, { executor: memoryExecutor() });
    await addLivePipelines(socketClients(main, "grpc"), socketClients(full, "grpc"));
  });
  after(() => Promise.all([main[Symbol.asyncDispose](), full[Symbol.asyncDispose]()]));

  for (const protocol of protocols) {
    describe(`over ${protocol}`, () => {
      let clients: { main: Clients; full: Clients };
      before(() => {
        clients = { main: socketClients(main, protocol), full: socketClients(full, protocol) };
      });
      runRows(() => clients);

      it("a request over OTTOSCALER_MAX_REQUEST_BYTES, from connect-es → ResourceExhausted", async () => {
        // connect-es streams a Connect unary body without a content-length: no size is known.
        const sizes: Record<Protocol, { unary: string; stream: string }> = {
          grpc: { unary: "message size 2003", stream: "message size 2003" },
          "grpc-web": { unary: "message size 2003", stream: "message size 2003" },
          connect: { unary: "message size", stream: "message size 2011" },
        };
        const big = "x".repeat(2000);
        const { ottoscaler } = clients.main;
        assert.deepEqual(
          [
            await refusal(ottoscaler.scaleUp({ taskId: big })),
            await refusal(collect(ottoscaler.executePipeline({ name: big }))),
          ],
          [sizes[protocol].unary, sizes[protocol].stream].map((size) =>
            named({
              code: Code.ResourceExhausted,
              message: `${size} is larger than configured readMaxBytes 1024`,
            }),
          ),
        );
      });

      it("an RPC of a service this server does not serve → Unimplemented, saying so", async () => {
        // Its own session, closed at the end, so that no stream of it holds up the server's close.
        const session = new Http2SessionManager(main.url);
        const transport =
          protocol === "grpc"
            ? createGrpcTransport({ baseUrl: main.url, sessionManager: session })
            : createTransport(protocol, main.url);
        const otto = createClient(OttoHandlerIngestService, transport);
        try {
          assert.deepEqual(
            await refusal(otto.ingestEntries({})),
            named({
              code: Code.Unimplemented,
              message:
                "unknown method /otto.handler.v1.OttoHandlerIngestService/IngestEntries: not served here",
            }),
          );
        } finally {
          session.abort();
        }
      });
    });
  }

  describe("bodies no client library sends", () => {
    const methods: DescMethod[] = [
      ...OttoscalerService.methods,
      ...LogStreamingService.methods,
      ...Health.methods,
    ];

    for (const { wire, name, body, expect } of rawCases) {
      it(`${wire}: ${name}`, async () => {
        const sent = methods.flatMap((m) => {
          const bytes = body(m);
          return bytes === undefined ? [] : [{ m, bytes }];
        });
        const seen = [];
        for (const { m, bytes } of sent) {
          seen.push({ rpc: m.name, ...(await sendRaw(main.url, wire, m, bytes)) });
        }
        assert.deepEqual(
          seen,
          sent.map(({ m }) => ({ rpc: m.name, ...named(expect(m)) })),
        );
      });
    }

    it("a content type no protocol uses → HTTP 415, for every RPC", async () => {
      for (const m of methods) {
        const res = await fetch(`${main.url}/${m.parent.typeName}/${m.name}`, {
          method: "POST",
          headers: { "content-type": "text/plain" },
          body: "{}",
        });
        await res.arrayBuffer();
        assert.equal(res.status, 415, m.name);
      }
    });
  });
});

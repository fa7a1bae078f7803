import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { accessRules } from "../auth/access-rules.ts";
import { type Role, roleAllows } from "../auth/roles.ts";
import { GrpcJsPeer, methodPaths } from "../testing/grpc-js.ts";
import { collect, startTestServer, type TestServer } from "../testing/test-server.ts";
import { testTls } from "../testing/tls.ts";
import { roleTokens } from "../testing/tokens.ts";

type Caller = "nobody" | Role;
const callers: Caller[] = ["nobody", "viewer", "operator", "admin"];

/** What the access rules (and so the README's table) say a caller gets. */
function expected(method: string, caller: Caller): grpc.status {
  const rule = accessRules[method];
  if (rule === "open") return grpc.status.OK;
  if (rule === undefined || caller === "nobody") return grpc.status.UNAUTHENTICATED;
  return roleAllows(caller, rule.role) ? grpc.status.OK : grpc.status.PERMISSION_DENIED;
}

interface Case {
  request(caller: Caller): object;
  /** Run as admin before the call, for what the call acts on. */
  setup?(caller: Caller): Promise<void>;
  /** Messages to read of a stream that does not end by itself. */
  take?: number;
}

describe("tokens mode over TLS: every RPC for no credentials, a viewer, an operator and an admin (grpc-js)", () => {
  let t: TestServer;
  let peer: GrpcJsPeer;
  let workerId: string;
  const { file, token } = roleTokens();
  const admin = () => t.clients("connect", { token: token.admin ?? "" }).ottoscaler;

  const cases: Record<string, Case> = {
    "ottoscaler.v1.OttoscalerService/ScaleUp": {
      request: (c) => ({ taskId: `up-${c}`, workerCount: 1, command: ["sleep 30"] }),
    },
    "ottoscaler.v1.OttoscalerService/ScaleDown": {
      setup: async (c) => {
        await admin().scaleUp({ taskId: `down-${c}`, workerCount: 1, command: ["sleep 30"] });
      },
      request: (c) => ({ taskId: `down-${c}`, workerCount: 1 }),
    },
    "ottoscaler.v1.OttoscalerService/GetWorkerStatus": { request: () => ({}) },
    "ottoscaler.v1.OttoscalerService/WatchWorkers": { request: () => ({}), take: 1 },
    "ottoscaler.v1.OttoscalerService/ExecutePipeline": {
      request: (c) => ({ pipelineId: `run-${c}`, stages: [{ id: "hi", command: ["echo hi"] }] }),
    },
    "ottoscaler.v1.OttoscalerService/WatchPipeline": { request: () => ({ pipelineId: "fixture" }) },
    "ottoscaler.v1.OttoscalerService/CancelPipeline": {
      setup: async (c) => {
        const stream = admin().executePipeline({
          pipelineId: `cancel-${c}`,
          stages: [{ id: "long", command: ["sleep 30"] }],
        });
        // Running before it is cancelled; the rest of the stream drains by itself.
        const events = stream[Symbol.asyncIterator]();
        await events.next();
        void (async () => {
          for (let e = await events.next(); !e.done; e = await events.next());
        })();
      },
      request: (c) => ({ pipelineId: `cancel-${c}` }),
    },
    "ottoscaler.v1.OttoscalerService/ListPipelines": { request: () => ({}) },
    "ottoscaler.v1.LogStreamingService/StreamWorkerLogs": { request: () => ({ workerId }) },
    "ottoscaler.v1.LogStreamingService/StreamBuildLogs": {
      request: () => ({ pipelineId: "fixture" }),
    },
    "ottoscaler.v1.LogStreamingService/GetLogForwardingStatus": { request: () => ({}) },
    "grpc.health.v1.Health/Check": { request: () => ({ service: "" }) },
    "grpc.health.v1.Health/Watch": { request: () => ({ service: "" }), take: 1 },
  };

  before(async () => {
    t = await startTestServer({
      OTTOSCALER_AUTH: "tokens",
      OTTOSCALER_TOKENS_FILE: file,
      OTTOSCALER_TLS_CERT_FILE: testTls.cert,
      OTTOSCALER_TLS_KEY_FILE: testTls.key,
    });
    const events = await collect(
      admin().executePipeline({
        pipelineId: "fixture",
        stages: [{ id: "a", command: ["echo a"] }],
      }),
    );
    assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED);
    const { workers } = await admin().getWorkerStatus({ pipelineId: "fixture" });
    workerId = workers[0]?.workerId ?? "";
    peer = new GrpcJsPeer(
      `localhost:${t.server.port}`,
      grpc.credentials.createSsl(readFileSync(testTls.cert)),
    );
  });
  after(async () => {
    peer?.close();
    await t?.[Symbol.asyncDispose]();
  });

  it("has a case for every method of the protos, and a rule for each", () => {
    assert.deepEqual(Object.keys(cases).sort(), [...methodPaths].sort());
    assert.deepEqual(Object.keys(accessRules).sort(), [...methodPaths].sort());
  });

  for (const caller of callers) {
    it(`answers ${caller === "nobody" ? "a caller without credentials" : `the ${caller}`} as the table says`, async () => {
      const got: Record<string, string> = {};
      const want: Record<string, string> = {};
      for (const [method, c] of Object.entries(cases)) {
        await c.setup?.(caller);
        const options = {
          ...(caller !== "nobody" && { token: token[caller] ?? "" }),
          ...(c.take !== undefined && { take: c.take }),
        };
        const outcome = await peer.call(method, c.request(caller), options);
        got[method] =
          `${grpc.status[outcome.code]}${outcome.code === 0 ? "" : `: ${outcome.details}`}`;
        want[method] = grpc.status[expected(method, caller)] ?? "";
        if (outcome.code === expected(method, caller)) got[method] = want[method];
      }
      assert.deepEqual(got, want);
    });
  }

  it("says why, without echoing credentials", async () => {
    const call = (tok?: string, metadata?: Record<string, string>) =>
      peer.call(
        "ottoscaler.v1.OttoscalerService/ListPipelines",
        {},
        {
          ...(tok !== undefined && { token: tok }),
          ...(metadata !== undefined && { metadata }),
        },
      );
    const none = await call();
    assert.equal(none.code, grpc.status.UNAUTHENTICATED);
    assert.match(none.details, /^no credentials: send authorization: Bearer <token>/);
    const denied = await peer.call(
      "ottoscaler.v1.OttoscalerService/ExecutePipeline",
      { stages: [{ id: "a", command: ["true"] }] },
      { token: token.viewer ?? "" },
    );
    assert.equal(denied.code, grpc.status.PERMISSION_DENIED);
    assert.equal(
      denied.details,
      'viewer "viewer" may not call ExecutePipeline: it takes the operator role',
    );
  });
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import type { AuditRecord } from "../audit/audit-record.ts";
import { accessRules } from "../auth/access-rules.ts";
import { type Role, roleAllows } from "../auth/roles.ts";
import { tokenDigest } from "../auth/token-file.ts";
import { runCliCaptured } from "../cli/captured-cli.ts";
import { GrpcJsPeer, methodPaths } from "../testing/grpc-js.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
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
  const recorded = recordingLogger();
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
    "grpc.reflection.v1.ServerReflection/ServerReflectionInfo": {
      request: () => ({ listServices: "" }),
    },
    "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": {
      request: () => ({ listServices: "" }),
    },
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
    "ottoscaler.v1.AuditService/ListAuditEvents": { request: () => ({}) },
    "grpc.health.v1.Health/Check": { request: () => ({ service: "" }) },
    "grpc.health.v1.Health/Watch": { request: () => ({ service: "" }), take: 1 },
  };

  before(async () => {
    t = await startTestServer(
      {
        OTTOSCALER_AUTH: "tokens",
        OTTOSCALER_TOKENS_FILE: file,
        OTTOSCALER_TLS_CERT_FILE: testTls.cert,
        OTTOSCALER_TLS_KEY_FILE: testTls.key,
      },
      { logger: recorded.logger },
    );
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

  it("records each mutating call of the matrix exactly once, with its user, in the audit file", async () => {
    await t.app.audit.flush();
    const dir = path.join(t.app.config.dataDir, "audit");
    const records = (
      await Promise.all((await readdir(dir)).map((f) => readFile(path.join(dir, f), "utf8")))
    )
      .join("")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as AuditRecord);
    const target: Record<string, (c: Caller) => [string, string]> = {
      "ottoscaler.v1.OttoscalerService/ScaleUp": (c) => ["taskId", `up-${c}`],
      "ottoscaler.v1.OttoscalerService/ScaleDown": (c) => ["taskId", `down-${c}`],
      "ottoscaler.v1.OttoscalerService/ExecutePipeline": (c) => ["pipelineId", `run-${c}`],
      "ottoscaler.v1.OttoscalerService/CancelPipeline": (c) => ["pipelineId", `cancel-${c}`],
    };
    const mutating = Object.entries(accessRules).filter(([, r]) => r !== "open" && r.mutating);
    assert.deepEqual(mutating.map(([m]) => m).sort(), Object.keys(target).sort());
    for (const [method, idOf] of Object.entries(target)) {
      for (const caller of callers) {
        const [field, id] = idOf(caller);
        const found = records.filter(
          (r) => r.method === method && (r as unknown as Record<string, string>)[field] === id,
        );
        const code = grpc.status[expected(method, caller)]?.toLowerCase() ?? "";
        assert.deepEqual(
          found.map((r) => [r.user, r.code, r.protocol, r.auth]),
          [[caller === "nobody" ? "" : caller, code, "grpc", caller === "nobody" ? "" : "tokens"]],
          `${method} by ${caller}`,
        );
        assert.match(found[0]?.source ?? "", /^(::ffff:)?127\.0\.0\.1:\d+$/);
        assert.ok((found[0]?.durationMs ?? -1) >= 0);
      }
    }
    // Refused reads are recorded too: the viewer's attempt at the audit trail, once.
    const refused = records.filter(
      (r) => r.method === "ottoscaler.v1.AuditService/ListAuditEvents" && r.user === "viewer",
    );
    assert.deepEqual(
      refused.map((r) => r.code),
      ["permission_denied"],
    );
  });

  it("lists the audit trail with ottoctl audit, for admins only", async () => {
    const cli = (who: Role) =>
      runCliCaptured(["audit", "--limit", "1000"], {
        OTTOSCALER_SERVER: t.server.secureUrl ?? "",
        OTTOSCALER_CA: testTls.cert,
        OTTOSCALER_TOKEN: token[who] ?? "",
      });
    const admin = await cli("admin");
    assert.equal(admin.code, 0, admin.stderr);
    assert.match(admin.stdout, /^TIME +USER +METHOD +TARGET +RESULT +SOURCE +MESSAGE$/m);
    assert.match(admin.stdout, / operator +OttoscalerService\/ScaleUp +up-operator +ok +/);
    assert.match(
      admin.stdout,
      / viewer +OttoscalerService\/ScaleUp +up-viewer +permission_denied .* it takes the operator role$/m,
    );
    const operator = await cli("operator");
    assert.equal(operator.code, 2);
    assert.match(
      operator.stderr,
      /permission_denied\] operator "operator" may not call ListAuditEvents: it takes the admin role/,
    );
  });

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

  it("writes no token to its logs, journals or audit files", async () => {
    await t.app.audit.flush();
    const files = await readdir(t.app.config.dataDir, { recursive: true, withFileTypes: true });
    const texts = await Promise.all(
      files
        .filter((f) => f.isFile())
        .map((f) => readFile(path.join(f.parentPath, f.name), "latin1")),
    );
    assert.ok(texts.length >= 5, "journals and audit files were written");
    const logged = recorded.text();
    assert.ok(logged.includes('"event":"audit"'), "audit records go to the log (stdout) too");
    for (const tok of Object.values(token)) {
      for (const text of [...texts, logged]) assert.ok(!text.includes(tok));
      // Nor its hash, which identifies it as well as the file does.
      assert.ok(!logged.includes(tokenDigest(tok)));
    }
  });
});

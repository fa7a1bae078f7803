import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { tempDataDir } from "../testing/data-dir.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import { collect, startTestServer, type TestServer } from "../testing/test-server.ts";
import { roleTokens } from "../testing/tokens.ts";

const value = "s3cr3t-value-never-logged";

describe("secrets by reference (local executor, tokens mode)", () => {
  let t: TestServer;
  const recorded = recordingLogger();
  const { file, token } = roleTokens();
  const as = (who: string) => t.clients("connect", { token: token[who] ?? "" });
  const stage = (secretName: string) => ({
    id: "uses-secret",
    command: ['printf %s "$DB_PASSWORD" | sha256sum'],
    secretEnv: [{ name: "DB_PASSWORD", secretKeyRef: { name: secretName, key: "password" } }],
  });

  before(async () => {
    const secrets = tempDataDir();
    mkdirSync(path.join(secrets, "db"));
    writeFileSync(path.join(secrets, "db", "password"), value);
    t = await startTestServer(
      {
        OTTOSCALER_AUTH: "tokens",
        OTTOSCALER_TOKENS_FILE: file,
        OTTOSCALER_LOCAL_SECRETS_DIR: secrets,
      },
      { logger: recorded.logger },
    );
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it("gives the worker the value; only a hash of it reaches the journal, the reference the API", async () => {
    const events = await collect(
      as("admin").ottoscaler.executePipeline({ pipelineId: "with-secret", stages: [stage("db")] }),
    );
    assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED, events.at(-1)?.message);
    const lines = await collect(as("admin").logs.streamBuildLogs({ pipelineId: "with-secret" }));
    const hash = createHash("sha256").update(value).digest("hex");
    assert.ok(
      lines.some((l) => l.entry?.line.startsWith(hash)),
      JSON.stringify(lines.map((l) => l.entry?.line)),
    );
    await t.app.audit.flush();
    const files = await readdir(t.app.config.dataDir, { recursive: true, withFileTypes: true });
    for (const f of files.filter((x) => x.isFile())) {
      assert.ok(
        !(await readFile(path.join(f.parentPath, f.name), "latin1")).includes(value),
        f.name,
      );
    }
    assert.ok(!recorded.text().includes(value));
  });

  it("refuses a caller who may not see the Secret, naming the field", async () => {
    await assert.rejects(
      collect(as("operator").ottoscaler.executePipeline({ stages: [stage("db")] })),
      (e: unknown) =>
        e instanceof ConnectError &&
        e.code === Code.PermissionDenied &&
        e.rawMessage ===
          'stages[0].secretEnv[0].secretKeyRef.name: "operator" may not get Secret "db"',
    );
    await assert.rejects(
      as("operator").ottoscaler.scaleUp({
        taskId: "t",
        workerCount: 1,
        command: ["true"],
        secretEnv: stage("db").secretEnv,
      }),
      (e: unknown) => e instanceof ConnectError && e.code === Code.PermissionDenied,
    );
  });

  it("refuses ServiceAccount token Secrets and malformed references", async () => {
    await assert.rejects(
      as("admin").ottoscaler.scaleUp({
        taskId: "t",
        workerCount: 1,
        command: ["true"],
        env: { A: "1" },
        secretEnv: [
          { name: "T", secretKeyRef: { name: "ottoscaler-token-abcde", key: "token" } },
          { name: "A", secretKeyRef: { name: "../etc", key: "../../passwd" } },
        ],
      }),
      (e: unknown) =>
        e instanceof ConnectError &&
        e.code === Code.InvalidArgument &&
        e.rawMessage ===
          'secretEnv[0].secretKeyRef.name: "ottoscaler-token-abcde" is a ServiceAccount token Secret; those are refused; ' +
            'secretEnv[1].name: "A" is set twice; secretEnv[1].secretKeyRef.name: "../etc" is not a Secret name; ' +
            'secretEnv[1].secretKeyRef.key: "../../passwd" is not a key of a Secret',
    );
  });
});

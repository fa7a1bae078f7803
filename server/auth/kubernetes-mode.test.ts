import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { createAccessReviews } from "../k8s/access-reviews.ts";
import { startReviewApiServer } from "../testing/review-api-server.ts";
import { collect, startTestServer, type TestServer } from "../testing/test-server.ts";
import { testTls } from "../testing/tls.ts";
import { kubernetesAuthenticator } from "./kubernetes-authenticator.ts";

const namespace = "ottoscaler-test";
const sa = (name: string) => `system:serviceaccount:${namespace}:${name}`;

describe("kubernetes mode against an API server's review endpoints (gRPC over TLS)", () => {
  let api: Awaited<ReturnType<typeof startReviewApiServer>>;
  let t: TestServer;
  const ca = readFileSync(testTls.cert);
  const as = (token?: string) =>
    t.clients("grpc", { ca, ...(token !== undefined && { token }) }).ottoscaler;
  const code = (c: Code, message: RegExp) => (e: unknown) =>
    e instanceof ConnectError && e.code === c && message.test(e.rawMessage);

  before(async () => {
    api = await startReviewApiServer({
      "runner-token": {
        username: sa("runner"),
        groups: ["system:serviceaccounts"],
        grants: ["create pipelineruns"],
      },
      "reader-token": {
        username: sa("reader"),
        groups: ["system:serviceaccounts"],
        grants: ["list pipelineruns", "list workergroups"],
      },
    });
    t = await startTestServer(
      {
        OTTOSCALER_AUTH: "kubernetes",
        OTTOSCALER_TLS_CERT_FILE: testTls.cert,
        OTTOSCALER_TLS_KEY_FILE: testTls.key,
      },
      {
        auth: kubernetesAuthenticator(createAccessReviews(api.kc), { namespace, cacheMs: 60_000 }),
      },
    );
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
    await api?.close();
  });

  it("runs a pipeline for an account allowed create pipelineruns, and lets a reader list it", async () => {
    const events = await collect(
      as("runner-token").executePipeline({
        pipelineId: "k8s-run",
        stages: [{ id: "hi", command: ["echo hi"] }],
      }),
    );
    assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED);
    const { pipelines } = await as("reader-token").listPipelines({});
    assert.deepEqual(
      pipelines.map((p) => p.pipelineId),
      ["k8s-run"],
    );
    // The controller asked in its namespace, for the caller, on our group's resources.
    const asked = api.reviews
      .filter((r) => r.kind === "LocalSubjectAccessReview")
      .map((r) => {
        const a = r.spec.resourceAttributes as Record<string, string>;
        return [r.path.split("/")[5], r.spec.user, a.namespace, a.verb, a.group, a.resource];
      });
    assert.deepEqual(asked, [
      [namespace, sa("runner"), namespace, "create", "ottoscaler.io", "pipelineruns"],
      [namespace, sa("reader"), namespace, "list", "ottoscaler.io", "pipelineruns"],
    ]);
    const records = await t.app.audit.list({ limit: 100 });
    const run = records.find((r) => r.pipelineId === "k8s-run");
    assert.deepEqual(
      [run?.user, run?.groups, run?.auth, run?.code],
      [sa("runner"), ["system:serviceaccounts"], "kubernetes", "ok"],
    );
  });

  it("refuses what the account's Roles do not grant as PermissionDenied, saying what it takes", async () => {
    await assert.rejects(
      collect(as("reader-token").executePipeline({ stages: [{ id: "a", command: ["true"] }] })),
      code(
        Code.PermissionDenied,
        new RegExp(
          `^"${sa("reader")}" may not call ExecutePipeline: it takes create on pipelineruns.ottoscaler.io in namespace ${namespace} \\(grant it with a Role and RoleBinding\\); no RBAC policy matched$`,
        ),
      ),
    );
    await assert.rejects(
      as("runner-token").listPipelines({}),
      code(Code.PermissionDenied, /may not call ListPipelines: it takes list on pipelineruns/),
    );
  });

  it("refuses tokens the API server does not accept, and no token, as Unauthenticated", async () => {
    await assert.rejects(
      as("forged").listPipelines({}),
      code(
        Code.Unauthenticated,
        /^token not accepted by the Kubernetes API server: invalid bearer token$/,
      ),
    );
    await assert.rejects(as().listPipelines({}), code(Code.Unauthenticated, /^no credentials/));
    assert.ok(await as("reader-token").listPipelines({}));
  });

  it("asks the API server once per token and decision while cached", async () => {
    const before = api.reviews.length;
    for (let i = 0; i < 3; i++) await as("reader-token").getWorkerStatus({});
    // One new decision (list workergroups), the token's review already cached.
    assert.equal(api.reviews.length - before, 1);
  });
});

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { LogStreamingService } from "../../gen/ottoscaler/v1/log_streaming_pb.js";
import { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { kubectl } from "../testing/cluster.ts";
import {
  controllerPod,
  curl,
  controllerNamespace as namespace,
  skipUnlessE2e,
} from "../testing/deployment.ts";
import { PortForward } from "../testing/port-forward.ts";
import { applyManifest, bindRole, serviceAccountToken } from "../testing/service-account.ts";
import { collect, createTransport } from "../testing/test-server.ts";

/** The deployed controller's OTTOSCALER_AUTH_CACHE_SECONDS (manifests/base/deployment.yaml). */
const cacheSeconds = 10;

describe("the deployed controller authenticates with the cluster (OTTOSCALER_AUTH=kubernetes)", {
  skip: skipUnlessE2e,
}, () => {
  let pf: PortForward;
  let runner = "";
  let stranger = "";
  const client = (token?: string) =>
    createClient(
      OttoscalerService,
      createTransport("grpc", pf.url, token === undefined ? {} : { token }),
    );
  const code = (c: Code) => (e: unknown) => e instanceof ConnectError && e.code === c;

  before(async () => {
    await kubectl("delete", "rolebinding,role", "e2e-runs", "-n", namespace, "--ignore-not-found");
    pf = await PortForward.start(namespace, (await controllerPod()).name);
    // One account may create pipelineruns (a Role of its own, bound by a RoleBinding); one may not.
    runner = await serviceAccountToken(namespace, "e2e-runner");
    stranger = await serviceAccountToken(namespace, "e2e-stranger");
    await applyManifest(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: e2e-runs, namespace: ${namespace} }
rules:
  - { apiGroups: [ottoscaler.io], resources: [pipelineruns], verbs: [create] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: e2e-runs, namespace: ${namespace} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: e2e-runs }
subjects: [{ kind: ServiceAccount, name: e2e-runner, namespace: ${namespace} }]
`);
  });
  after(async () => {
    await pf?.[Symbol.asyncDispose]();
    await kubectl("delete", "rolebinding,role", "e2e-runs", "-n", namespace, "--ignore-not-found");
  });

  it("refuses calls without credentials or with a token the API server does not accept", async () => {
    await assert.rejects(client().listPipelines({}), code(Code.Unauthenticated));
    await assert.rejects(client("not-a-real-token").listPipelines({}), code(Code.Unauthenticated));
    const res = await curl(`${pf.url}/ottoscaler.v1.OttoscalerService/GetWorkerStatus`, "{}");
    assert.equal(res.status, 401, res.body);
    assert.equal((await curl(`${pf.url}/healthz`)).status, 200);
  });

  it("runs a pipeline for a ServiceAccount granted create pipelineruns; refuses one without", async () => {
    const events = await collect(
      client(runner).executePipeline({
        stages: [{ id: "hello", image: "busybox", command: ["echo hi"] }],
      }),
    );
    assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED);
    await assert.rejects(
      collect(client(stranger).executePipeline({ stages: [{ id: "a", command: ["true"] }] })),
      (e: unknown) =>
        e instanceof ConnectError &&
        e.code === Code.PermissionDenied &&
        /"system:serviceaccount:ottoscaler-system:e2e-stranger" may not call ExecutePipeline: it takes create on pipelineruns.ottoscaler.io/.test(
          e.rawMessage,
        ),
    );
    // Reads take their own verbs: the runner may not list.
    await assert.rejects(client(runner).listPipelines({}), code(Code.PermissionDenied));
  });

  it("runs a stage with a secretKeyRef for a caller who may get that Secret; refuses one who may not", async () => {
    const value = `v-${randomBytes(12).toString("hex")}`;
    await kubectl(
      "delete",
      "secret,role,rolebinding",
      "e2e-db",
      "-n",
      namespace,
      "--ignore-not-found",
    );
    await kubectl(
      "create",
      "secret",
      "generic",
      "e2e-db",
      "-n",
      namespace,
      `--from-literal=password=${value}`,
    );
    await kubectl(
      "create",
      "role",
      "e2e-db",
      "-n",
      namespace,
      "--verb=get",
      "--resource=secrets",
      "--resource-name=e2e-db",
    );
    const reader = await serviceAccountToken(namespace, "e2e-secrets");
    await kubectl("delete", "rolebinding", "e2e-secrets", "-n", namespace, "--ignore-not-found");
    await bindRole(namespace, "e2e-secrets", "ottoscaler-operator", "e2e-secrets");
    await bindRole(namespace, "e2e-db", "e2e-db", "e2e-secrets");
    const stage = {
      id: "uses-secret",
      image: "busybox",
      command: ['printf %s "$DB_PASSWORD" | sha256sum'],
      secretEnv: [{ name: "DB_PASSWORD", secretKeyRef: { name: "e2e-db", key: "password" } }],
    };
    const pipelineId = `secret-${randomBytes(4).toString("hex")}`;
    const events = await collect(client(reader).executePipeline({ pipelineId, stages: [stage] }));
    assert.equal(events.at(-1)?.status, PipelineStatus.SUCCEEDED, events.at(-1)?.message);
    const logs = createClient(
      LogStreamingService,
      createTransport("grpc", pf.url, { token: reader }),
    );
    const lines = (await collect(logs.streamBuildLogs({ pipelineId }))).map(
      (l) => l.entry?.line ?? "",
    );
    const hash = createHash("sha256").update(value).digest("hex");
    assert.ok(
      lines.some((l) => l.startsWith(hash)),
      lines.join("\n"),
    );
    assert.ok(!lines.some((l) => l.includes(value)));
    await assert.rejects(
      collect(client(runner).executePipeline({ stages: [stage] })),
      (e: unknown) =>
        e instanceof ConnectError &&
        e.code === Code.PermissionDenied &&
        /^stages\[0\]\.secretEnv\[0\]\.secretKeyRef\.name: "system:serviceaccount:ottoscaler-system:e2e-runner" may not get Secret "e2e-db"$/.test(
          e.rawMessage,
        ),
    );
  });

  it("ends access within the cache time once the RoleBinding is deleted", async (t) => {
    // A request the runner may make but that runs nothing: InvalidArgument while allowed.
    const probe = () =>
      collect(client(runner).executePipeline({ stages: [] })).then(
        () => Code.Unknown,
        (e: unknown) => ConnectError.from(e).code,
      );
    assert.equal(await probe(), Code.InvalidArgument);
    await kubectl("delete", "rolebinding", "e2e-runs", "-n", namespace);
    const deleted = performance.now();
    // Measuring a delay: nothing announces the end of a cached decision, so ask until it ends.
    let answer = await probe();
    while (
      answer === Code.InvalidArgument &&
      performance.now() - deleted < (cacheSeconds + 10) * 1000
    ) {
      await new Promise((r) => setTimeout(r, 250));
      answer = await probe();
    }
    const seconds = (performance.now() - deleted) / 1000;
    t.diagnostic(
      `access ended ${seconds.toFixed(1)} s after the RoleBinding was deleted (cache ${cacheSeconds} s)`,
    );
    assert.equal(answer, Code.PermissionDenied);
    assert.ok(seconds <= cacheSeconds + 2, `${seconds} s`);
  });
});

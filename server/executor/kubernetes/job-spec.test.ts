import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultResources } from "../executor.ts";
import { createJobSpec, labelValueOf } from "./job-spec.ts";

const options = {
  namespace: "ci",
  controllerInstance: "ctl-1",
  defaults: { cpuRequest: "100m", cpuLimit: "1", memoryRequest: "64Mi", memoryLimit: "512Mi" },
  imagePullPolicy: "IfNotPresent" as const,
  runAsUser: 65532,
  terminationGraceSeconds: 5,
};

describe("createJobSpec", () => {
  const spec = {
    workerId: "build-42.unit-test.a2.w1",
    index: 1,
    count: 3,
    image: "busybox",
    command: ["make test"],
    env: { SHARD: "1" },
    resources: { ...defaultResources, memoryLimit: "1Gi" },
    timeoutMs: 90_000,
    pipelineId: "build-42",
    stageId: "unit-test",
    attempt: 2,
  };
  const job = createJobSpec(spec, options);
  const pod = job.spec?.template.spec;
  const container = pod?.containers[0];

  it("names the Job after pipeline, stage, attempt and worker, and labels it for selection", () => {
    assert.equal(job.metadata?.name, "build-42-unit-test-a2-w1-6b40bcd784");
    assert.deepEqual(job.metadata?.labels, {
      "app.kubernetes.io/managed-by": "ottoscaler",
      "ottoscaler.io/worker": "build-42-unit-test-a2-w1-6b40bcd784",
      "ottoscaler.io/pipeline": "build-42",
      "ottoscaler.io/stage": "unit-test",
      "ottoscaler.io/attempt": "2",
    });
    assert.deepEqual(job.spec?.template.metadata?.labels, job.metadata?.labels);
    assert.equal(
      job.metadata?.annotations?.["ottoscaler.io/worker-id"],
      "build-42.unit-test.a2.w1",
    );
  });

  it("labels a matrix instance with a valid label value; its name stays unique by its hash", () => {
    assert.equal(labelValueOf("test[node=20.1,os=alpine]"), "test-node-20.1-os-alpine");
    assert.equal(labelValueOf(`s[k=${"v".repeat(80)}]`).length, 63);
    const named = (stageId: string) =>
      createJobSpec({ ...spec, stageId, workerId: `build-42.${stageId}.a1.w0` }, options).metadata
        ?.name;
    assert.notEqual(named("test[v=1.2]"), named("test[v=1-2]"));
    assert.match(named("test[v=1.2]") ?? "", /^build-42-test-v-1-2-a1-w0-[0-9a-f]{10}$/);
  });

  it("leaves retries to the engine", () => {
    assert.equal(job.spec?.backoffLimit, 0);
    assert.equal(pod?.restartPolicy, "Never");
  });

  it("applies default resources where the stage sets none", () => {
    assert.deepEqual(container?.resources, {
      requests: { cpu: "100m", memory: "64Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    });
  });

  it("runs without privileges", () => {
    assert.equal(container?.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(container?.securityContext?.capabilities?.drop, ["ALL"]);
    assert.equal(pod?.securityContext?.runAsNonRoot, true);
    assert.equal(pod?.hostNetwork, false);
    assert.equal(pod?.hostPID, false);
    assert.ok(pod?.volumes?.every((v) => v.hostPath === undefined));
    assert.equal(pod?.automountServiceAccountToken, false);
    assert.equal(pod?.securityContext?.seccompProfile?.type, "RuntimeDefault");
    assert.equal(pod?.serviceAccountName, undefined, "the namespace's default unless configured");
    const own = createJobSpec(spec, { ...options, serviceAccount: "ottoscaler-worker" });
    assert.equal(own.spec?.template.spec?.serviceAccountName, "ottoscaler-worker");
    assert.equal(own.spec?.template.spec?.automountServiceAccountToken, false);
    const withSecret = createJobSpec(
      { ...spec, secretEnv: [{ name: "PW", secretName: "db", key: "password" }] },
      options,
    );
    // Whatever an env value says, it stays a value: the pod spec keeps its fixed shape.
    const odd = createJobSpec(
      { ...spec, env: { X: "hostNetwork: true\nprivileged: true" } },
      options,
    );
    const oddPod = odd.spec?.template.spec;
    assert.equal(oddPod?.hostNetwork, false);
    assert.equal(oddPod?.containers[0]?.securityContext?.privileged, false);
    assert.equal(oddPod?.containers[0]?.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(withSecret.spec?.template.spec?.containers[0]?.env?.at(-1), {
      name: "PW",
      valueFrom: { secretKeyRef: { name: "db", key: "password" } },
    });
  });

  it("runs one string through sh -c with the worker's identity in its env", () => {
    assert.deepEqual(container?.command, ["sh", "-c", "make test"]);
    const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env.SHARD, "1");
    assert.equal(env.OTTOSCALER_WORKER_INDEX, "1");
    assert.equal(env.OTTOSCALER_WORKER_COUNT, "3");
    assert.equal(env.OTTOSCALER_STAGE_ID, "unit-test");
  });

  it("keeps a deadline past the stage timeout as a backstop", () => {
    assert.equal(job.spec?.activeDeadlineSeconds, 120);
  });
});

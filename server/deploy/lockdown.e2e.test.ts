import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { OttoscalerService } from "../../gen/ottoscaler/v1/ottoscaler_pb.js";
import { PipelineStatus } from "../../gen/ottoscaler/v1/pipeline_pb.js";
import { assertPermissions, type CanI } from "../testing/can-i.ts";
import { kubectl } from "../testing/cluster.ts";
import {
  controllerPod,
  controllerNamespace as namespace,
  skipUnlessE2e,
} from "../testing/deployment.ts";
import { PortForward } from "../testing/port-forward.ts";
import { bindRole, serviceAccountToken } from "../testing/service-account.ts";
import { createTransport } from "../testing/test-server.ts";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

describe("workers locked down (manifests/base)", { skip: skipUnlessE2e }, () => {
  let pf: PortForward;
  let token = "";

  before(async () => {
    pf = await PortForward.start(namespace, (await controllerPod()).name);
    token = await serviceAccountToken(namespace, "e2e-lockdown");
    await kubectl("delete", "rolebinding", "e2e-lockdown", "-n", namespace, "--ignore-not-found");
    await bindRole(namespace, "e2e-lockdown", "ottoscaler-operator", "e2e-lockdown");
  });
  after(async () => {
    await pf?.[Symbol.asyncDispose]();
  });

  it("has NetworkPolicies the API server accepts (dry-run=server) and has applied", async () => {
    // These files alone: the whole base would also re-apply the claim the local overlay changed.
    const files = ["network-policies.yaml", "rbac/worker-serviceaccount.yaml"].flatMap((f) => [
      "-f",
      path.join(root, "manifests/base", f),
    ]);
    const { stdout } = await exec("kubectl", [
      "apply",
      "--dry-run=server",
      "-n",
      namespace,
      ...files,
    ]);
    assert.match(
      stdout,
      /networkpolicy.networking.k8s.io\/ottoscaler-workers (configured|unchanged|created) \(server dry run\)/,
    );
    assert.match(
      stdout,
      /networkpolicy.networking.k8s.io\/ottoscaler-controller (configured|unchanged|created) \(server dry run\)/,
    );
    const policies = JSON.parse(
      await kubectl("get", "networkpolicies", "-n", namespace, "-o", "json"),
    ) as {
      items: { metadata: { name: string }; spec: { ingress?: { ports?: { port: number }[] }[] } }[];
    };
    const byName = new Map(policies.items.map((p) => [p.metadata.name, p.spec]));
    assert.deepEqual(byName.get("ottoscaler-workers")?.ingress ?? [], []);
    assert.deepEqual(
      byName.get("ottoscaler-controller")?.ingress?.[0]?.ports?.map((p) => p.port),
      [9090],
    );
  });

  it("runs workers as their own ServiceAccount, which may do nothing, with no token and seccomp RuntimeDefault", async () => {
    const client = createClient(OttoscalerService, createTransport("grpc", pf.url, { token }));
    const pipelineId = `lockdown-${Date.now().toString(36)}`;
    const stream = client
      .executePipeline({
        pipelineId,
        stages: [{ id: "idle", image: "busybox", command: ["sleep 60"] }],
      })
      [Symbol.asyncIterator]();
    // Its worker is running, so its pod exists.
    for (let e = await stream.next(); !e.done; e = await stream.next()) {
      if (e.value.stageId === "idle" && e.value.status === PipelineStatus.RUNNING) break;
    }
    const pods = JSON.parse(
      await kubectl(
        "get",
        "pods",
        "-n",
        namespace,
        "-l",
        `ottoscaler.io/pipeline=${pipelineId}`,
        "-o",
        "json",
      ),
    ) as {
      items: {
        spec: {
          serviceAccountName?: string;
          automountServiceAccountToken?: boolean;
          securityContext?: { seccompProfile?: { type?: string } };
          volumes?: { name: string; secret?: unknown; projected?: unknown }[];
        };
      }[];
    };
    await client.cancelPipeline({ pipelineId });
    for (let e = await stream.next(); !e.done; e = await stream.next());
    const pod = pods.items[0]?.spec;
    assert.equal(pod?.serviceAccountName, "ottoscaler-worker");
    assert.equal(pod?.automountServiceAccountToken, false);
    assert.equal(pod?.securityContext?.seccompProfile?.type, "RuntimeDefault");
    assert.ok(
      (pod?.volumes ?? []).every((v) => v.secret === undefined && v.projected === undefined),
    );
    const nothing: CanI[] = [
      { verb: "get", resource: "pods", namespace, allowed: false },
      { verb: "list", resource: "secrets", namespace, allowed: false },
      { verb: "create", resource: "jobs.batch", namespace, allowed: false },
      { verb: "create", resource: "pipelineruns.ottoscaler.io", namespace, allowed: false },
      { verb: "create", resource: "tokenreviews.authentication.k8s.io", allowed: false },
    ];
    await assertPermissions(`system:serviceaccount:${namespace}:ottoscaler-worker`, nothing);
  });
});

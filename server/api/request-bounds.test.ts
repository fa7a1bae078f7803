import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { startTestServer, type TestServer } from "../testing/test-server.ts";

describe("requests are held to what the operator allows", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      OTTOSCALER_ALLOWED_IMAGES: "docker.io/library/*, registry.example.com/ci/runner",
      OTTOSCALER_MAX_WORKER_CPU: "4",
      OTTOSCALER_MAX_WORKER_MEMORY: "8Gi",
    });
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  const invalid = (message: string) => (e: unknown) =>
    e instanceof ConnectError && e.code === Code.InvalidArgument && e.rawMessage === message;

  it("refuses an image that is not an image reference, naming the field", async () => {
    const client = t.clients("connect").ottoscaler;
    await assert.rejects(
      client.scaleUp({ taskId: "t", workerCount: 1, image: "alpine; rm -rf /", command: ["true"] }),
      invalid(
        'image: "alpine; rm -rf /" is not an image reference ([registry/]name[:tag][@digest])',
      ),
    );
    const stream = client.executePipeline({
      stages: [{ id: "a", image: "$(curl evil.test)", command: ["true"] }],
    });
    await assert.rejects(
      (async () => {
        for await (const _ of stream);
      })(),
      invalid(
        'stages[0].image: "$(curl evil.test)" is not an image reference ([registry/]name[:tag][@digest])',
      ),
    );
  });

  it("refuses an image outside the allow-list, and takes one inside it", async () => {
    const client = t.clients("grpc").ottoscaler;
    await assert.rejects(
      client.scaleUp({
        taskId: "t",
        workerCount: 1,
        image: "evil.test/miner:1",
        command: ["true"],
      }),
      invalid(
        'image: "evil.test/miner:1" (evil.test/miner) is not allowed here (OTTOSCALER_ALLOWED_IMAGES: docker.io/library/*, registry.example.com/ci/runner)',
      ),
    );
    for (const image of ["busybox:1.36", "registry.example.com/ci/runner:7"]) {
      const res = await client.scaleUp({ taskId: "ok", workerCount: 1, image, command: ["true"] });
      assert.equal(res.taskId, "ok");
    }
  });

  it("bounds CPU and memory requests and limits by the configured maxima", async () => {
    const client = t.clients("grpc-web").ottoscaler;
    await assert.rejects(
      client.scaleUp({
        taskId: "big",
        workerCount: 1,
        command: ["true"],
        resources: {
          cpuRequest: "1000",
          cpuLimit: "4001m",
          memoryRequest: "1Gi",
          memoryLimit: "9Gi",
        },
      }),
      invalid(
        'resources.cpuRequest: "1000" is over the maximum of "4" (OTTOSCALER_MAX_WORKER_CPU); ' +
          'resources.cpuLimit: "4001m" is over the maximum of "4" (OTTOSCALER_MAX_WORKER_CPU); ' +
          'resources.memoryLimit: "9Gi" is over the maximum of "8Gi" (OTTOSCALER_MAX_WORKER_MEMORY)',
      ),
    );
    const res = await client.scaleUp({
      taskId: "fits",
      workerCount: 1,
      command: ["true"],
      resources: { cpuRequest: "4", memoryLimit: "8Gi" },
    });
    assert.equal(res.taskId, "fits");
  });

  it("has no way to ask for host paths, host networking or privileges, not even smuggled in env or resources", async () => {
    const client = t.clients("connect").ottoscaler;
    await assert.rejects(
      client.scaleUp({
        taskId: "smuggle",
        workerCount: 1,
        command: ["true"],
        env: { "spec.hostNetwork": "true", "securityContext.privileged": "true" },
        resources: { cpuLimit: '1", "hostPath": {"path": "/' },
      }),
      invalid(
        'env["spec.hostNetwork"]: is not a valid environment variable name; ' +
          'env["securityContext.privileged"]: is not a valid environment variable name; ' +
          'resources.cpuLimit: "1", "hostPath": {"path": "/" is not a Kubernetes quantity (e.g. "500m", "256Mi")',
      ),
    );
    // Fields the API does not have are not part of the request message: dropped on reading.
    const res = await fetch(`${t.url}/ottoscaler.v1.OttoscalerService/ScaleUp`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        taskId: "smuggle",
        workerCount: 1,
        command: ["true"],
        hostNetwork: true,
        privileged: true,
        volumes: [{ hostPath: { path: "/" } }],
      }),
    });
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.doesNotMatch(body, /hostNetwork|privileged|hostPath/);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isErrorKind } from "../domain/errors.ts";
import type { KubernetesClients } from "./client.ts";
import { fencedClients } from "./fenced-clients.ts";

/** Records which calls reach the client. */
class RecordingApi {
  readonly calls: string[] = [];
  async createNamespacedJob() {
    this.calls.push("create");
    return "created";
  }
  async deleteNamespacedJob() {
    this.calls.push("delete");
  }
  async readNamespacedJob() {
    this.calls.push("read");
    return "read";
  }
}

describe("fenced clients", () => {
  it("lets mutating calls through only while the lease is held, reads always", async () => {
    let held = true;
    const api = new RecordingApi();
    const clients = fencedClients(
      { kc: {}, batch: api, core: api, custom: api } as unknown as KubernetesClients,
      () => held,
    );
    const batch = clients.batch as unknown as RecordingApi;
    assert.equal(await batch.createNamespacedJob(), "created");
    held = false;
    await assert.rejects(batch.createNamespacedJob(), (e) => isErrorKind(e, "unavailable"));
    await assert.rejects(batch.deleteNamespacedJob(), /deleteNamespacedJob refused: .*lease/);
    assert.equal(await batch.readNamespacedJob(), "read");
    assert.deepEqual(api.calls, ["create", "read"], "no refused call reached the API");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WorkQueue } from "./work-queue.ts";

/** A promise and the function that resolves it. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("WorkQueue", () => {
  it("reconciles a burst of adds of one key once", async () => {
    const seen: string[] = [];
    const done = deferred();
    const queue = new WorkQueue((key) => {
      seen.push(key);
      done.resolve();
    });
    for (let i = 0; i < 5; i++) queue.add("a");
    await done.promise;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ["a"]);
  });

  it("never reconciles a key twice at once: an add during its reconcile runs after it", async () => {
    let running = 0;
    let most = 0;
    let calls = 0;
    const first = deferred();
    const second = deferred();
    const queue = new WorkQueue(async () => {
      calls++;
      running++;
      most = Math.max(most, running);
      if (calls === 1) {
        queue.add("a");
        await first.promise;
      } else second.resolve();
      running--;
    });
    queue.add("a");
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 1);
    first.resolve();
    await second.promise;
    assert.equal(calls, 2);
    assert.equal(most, 1);
  });

  it("retries a key whose reconcile threw, with its backoff, until it succeeds", async () => {
    const errors: unknown[] = [];
    const succeeded = deferred();
    let calls = 0;
    const queue = new WorkQueue(
      async () => {
        calls++;
        if (calls < 3) throw new Error(`failure ${calls}`);
        succeeded.resolve();
      },
      { policy: { initialMs: 1, maxMs: 2, jitter: 0 }, onError: (_, e) => errors.push(e) },
    );
    queue.add("a");
    await succeeded.promise;
    assert.equal(calls, 3);
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ["failure 1", "failure 2"],
    );
    // Forgotten on success (once the reconcile's promise settles): the next failure waits the
    // initial time again.
    await new Promise((r) => setImmediate(r));
    assert.equal(queue.retryDelay("a"), 1);
  });

  it("takes no keys once stopped", async () => {
    let calls = 0;
    const queue = new WorkQueue(() => {
      calls++;
    });
    queue.stop();
    queue.add("a");
    queue.addAfter("b", 1);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(calls, 0);
  });
});

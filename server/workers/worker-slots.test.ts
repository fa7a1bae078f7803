import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { notStarted, WorkerSlots } from "./worker-slots.ts";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("WorkerSlots", () => {
  it("never runs more tasks at once than its cap, and runs them all", async () => {
    const slots = new WorkerSlots(3);
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        slots.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setImmediate(r));
          running--;
          done.push(i);
        }, new AbortController().signal),
      ),
    );
    assert.equal(peak, 3);
    assert.equal(done.length, 20);
  });

  it("admits waiting tasks first come, first served", async () => {
    const slots = new WorkerSlots(1);
    const order: number[] = [];
    const first = deferred();
    const all = [
      slots.run(() => first.promise, new AbortController().signal),
      ...[1, 2, 3].map((i) =>
        slots.run(async () => {
          order.push(i);
        }, new AbortController().signal),
      ),
    ];
    first.resolve();
    await Promise.all(all);
    assert.deepEqual(order, [1, 2, 3]);
  });

  it("drops a waiting task whose signal aborts without running it", async () => {
    const slots = new WorkerSlots(1);
    const blocker = deferred();
    const running = slots.run(() => blocker.promise, new AbortController().signal);
    const controller = new AbortController();
    let ran = false;
    const waiting = slots.run(async () => {
      ran = true;
    }, controller.signal);
    controller.abort("cancelled");
    assert.equal(await waiting, notStarted);
    blocker.resolve();
    await running;
    assert.equal(ran, false);
  });

  it("keeps a running task's slot until the task itself ends, even after abort", async () => {
    const slots = new WorkerSlots(1);
    const controller = new AbortController();
    const release = deferred();
    const first = slots.run(() => release.promise, controller.signal);
    await new Promise((r) => setImmediate(r));
    controller.abort("stop");
    let secondStarted = false;
    const second = slots.run(async () => {
      secondStarted = true;
    }, new AbortController().signal);
    await new Promise((r) => setImmediate(r));
    assert.equal(secondStarted, false);
    assert.equal(slots.running, 1);
    release.resolve();
    await Promise.all([first, second]);
    assert.equal(secondStarted, true);
  });
});

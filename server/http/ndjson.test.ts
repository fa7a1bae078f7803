import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import readline from "node:readline";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { isFinal } from "../domain/pipeline-status.ts";
import { tempDataDir } from "../testing/data-dir.ts";
import { collect, startTestServer, type TestServer } from "../testing/test-server.ts";

const run = promisify(execFile);
const service = "ottoscaler.v1.OttoscalerService";

/** curl's stdout, line by line as it comes. */
function curlLines(args: string[]): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn("curl", ["-sS", "-N", "--noproxy", "*", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = readline
    .createInterface({ input: child.stdout as NodeJS.ReadableStream })
    [Symbol.asyncIterator]();
  return { child, lines };
}

describe("server streams for curl: newline-delimited JSON", { timeout: 60_000 }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ OTTOSCALER_NDJSON_HEARTBEAT_MS: "100" });
  });
  after(async () => {
    await t?.[Symbol.asyncDispose]();
  });

  it("curl -N --json …/ExecutePipeline prints one line per event as it happens, and ends cleanly", async () => {
    const gate = path.join(tempDataDir(), "go");
    const request = {
      pipelineId: "curl-json",
      stages: [{ id: "wait", command: [`while [ ! -f ${gate} ]; do sleep 0.05; done; echo done`] }],
    };
    const { child, lines } = curlLines([
      "--json",
      JSON.stringify(request),
      `${t.url}/${service}/ExecutePipeline`,
    ]);
    const exited = once(child, "exit");
    const first = await lines.next();
    const firstEvent = JSON.parse(first.value as string);
    assert.equal(firstEvent.pipelineId, "curl-json");
    // The first line is here while the pipeline waits for the test: it was not buffered to the end.
    const status = t.app.engine.view("curl-json")?.summary().status;
    await writeFile(gate, "");
    assert.ok(status !== undefined && !isFinal(status), `status ${status}`);
    const rest: string[] = [];
    for (let next = await lines.next(); next.done !== true; next = await lines.next())
      rest.push(next.value);
    const [code] = await exited;
    assert.equal(code, 0);
    const events = rest.filter((l) => l !== "").map((l) => JSON.parse(l));
    assert.deepEqual(
      [firstEvent, ...events].map((e) => Number(e.sequence)),
      [firstEvent, ...events].map((_, i) => i + 1),
    );
    assert.equal(events.at(-1)?.status, "PIPELINE_STATUS_SUCCEEDED");
    assert.ok(!events.some((e) => "error" in e));
  });

  it("an invalid pipeline prints one error line with code invalid_argument and the field", async () => {
    const { stdout } = await run("curl", [
      "-sS",
      "-N",
      "--noproxy",
      "*",
      "--json",
      '{"stages":[]}',
      `${t.url}/${service}/ExecutePipeline`,
    ]);
    assert.deepEqual(stdout.split("\n"), [
      JSON.stringify({
        error: { code: "invalid_argument", message: "stages: a pipeline needs at least one stage" },
      }),
      "",
    ]);
  });

  it("GET with query parameters reads a read-only stream; ExecutePipeline takes no GET", async () => {
    const { stdout } = await run("curl", [
      "-sS",
      "-N",
      "--noproxy",
      "*",
      `${t.url}/${service}/WatchPipeline?pipelineId=curl-json`,
    ]);
    const events = stdout
      .trimEnd()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l));
    assert.equal(events.at(-1)?.status, "PIPELINE_STATUS_SUCCEEDED");
    assert.ok(events.every((e) => e.pipelineId === "curl-json"));
    const get = await fetch(`${t.url}/${service}/ExecutePipeline?pipelineId=x`);
    assert.equal(get.status, 405);
    assert.match(await get.text(), /POST it/);
  });

  it("an idle stream gets an empty line every OTTOSCALER_NDJSON_HEARTBEAT_MS", async () => {
    const gate = path.join(tempDataDir(), "go");
    const running = collect(
      t.clients("connect").ottoscaler.executePipeline({
        pipelineId: "curl-idle",
        stages: [{ id: "wait", command: [`while [ ! -f ${gate} ]; do sleep 0.05; done`] }],
      }),
    );
    const { child, lines } = curlLines([`${t.url}/${service}/WatchPipeline?pipelineId=curl-idle`]);
    // The events so far, then silence while the stage waits: two heartbeats in a row.
    const seen: string[] = [];
    while (seen.length < 2 || seen.slice(-2).join("|") !== "|") {
      const next = await lines.next();
      if (next.done === true) assert.fail(`the stream ended: ${JSON.stringify(seen)}`);
      seen.push(next.value);
    }
    child.kill();
    await writeFile(gate, "");
    await running;
    assert.ok(seen.slice(0, -2).every((l) => JSON.parse(l).pipelineId === "curl-idle"));
  });
});

import assert from "node:assert/strict";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { validatePipelineRequest } from "../api/validate.ts";
import { createApp } from "../app.ts";
import { loadConfig } from "../config/config.ts";
import { startServer } from "../http/server.ts";
import { silentLogger } from "../observability/logger.ts";
import { startController } from "../testing/controller-process.ts";
import { tempDataDir } from "../testing/data-dir.ts";
import { freePort } from "../testing/free-port.ts";
import { GatedExecutor } from "../testing/gated-executor.ts";
import type { Protocol } from "../testing/test-server.ts";
import { runCli } from "./cli.ts";
import { parsePipelineText } from "./pipeline-file.ts";

/** What is written to it, and a way to wait until some of it has been. */
function watchedStream() {
  let text = "";
  let waiters: { test: RegExp; resolve: () => void }[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      const ready = waiters.filter((w) => w.test.test(text));
      waiters = waiters.filter((w) => !ready.includes(w));
      for (const w of ready) w.resolve();
      done();
    },
  });
  return {
    stream: stream as unknown as NodeJS.WriteStream,
    text: () => text,
    until: (test: RegExp) =>
      test.test(text)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ test, resolve })),
  };
}

/**
 * A TCP forwarder on a port of its own, like `kubectl port-forward`: closing it cuts every
 * connection through it for real (sockets destroyed, no goodbye from the server) and the port
 * refuses connections until it is opened again.
 */
async function forwarder(port: number, target: number) {
  const connections = new Set<net.Socket>();
  let listener: net.Server | undefined;
  const open = async () => {
    listener = net.createServer((socket) => {
      const upstream = net.connect(target, "127.0.0.1");
      for (const s of [socket, upstream]) {
        connections.add(s);
        s.once("close", () => connections.delete(s));
        s.on("error", () => {});
      }
      socket.pipe(upstream).pipe(socket);
      socket.once("close", () => upstream.destroy());
      upstream.once("close", () => socket.destroy());
    });
    listener.listen(port, "127.0.0.1");
    await once(listener, "listening");
  };
  await open();
  return {
    open,
    async close() {
      const closed = new Promise((resolve) => listener?.close(resolve));
      for (const socket of connections) socket.destroy();
      await closed;
    },
  };
}

/**
 * One server reached through a forwarder that is closed and opened again: the connections
 * ottoctl has are cut for real and the port refuses while it is closed, while the pipeline goes
 * on, as when a port-forward is re-established to the next controller.
 */
async function restartablePort() {
  const executor = new GatedExecutor();
  const app = createApp(
    loadConfig({
      OTTOSCALER_HOST: "127.0.0.1",
      OTTOSCALER_PORT: "0",
      OTTOSCALER_DATA_DIR: tempDataDir(),
    }),
    { executor, logger: silentLogger },
  );
  await app.open();
  const server = await startServer(app);
  const port = await freePort();
  const forward = await forwarder(port, server.port);
  return {
    app,
    executor,
    url: `http://127.0.0.1:${port}`,
    close: () => forward.close(),
    reopen: () => forward.open(),
    async [Symbol.asyncDispose]() {
      await forward.close();
      await Promise.all([server.close(), app.shutdown("test finished")]);
    },
  };
}

const pipelineYaml = `pipelineId: across
stages:
  - id: build
    command: ["x"]
  - id: gate-one
    command: ["x"]
    dependsOn: [build]
  - id: gate-two
    command: ["x"]
    dependsOn: [gate-one]
  - id: deploy
    command: ["x"]
    dependsOn: [gate-two]
`;

const cases: { protocol: Protocol; json: boolean; command: "run" | "watch" }[] = [
  { protocol: "connect", json: false, command: "run" },
  { protocol: "grpc", json: true, command: "run" },
  { protocol: "grpc-web", json: false, command: "watch" },
];

describe("ottoctl run and watch across a lost server", () => {
  for (const { protocol, json, command } of cases) {
    it(`${command} reconnects by itself, one line per outage, no event twice (${protocol}${json ? ", --json" : ""})`, async () => {
      await using port = await restartablePort();
      const file = path.join(tempDataDir(), "pipeline.yaml");
      await writeFile(file, pipelineYaml);
      const stdout = watchedStream();
      const stderr = watchedStream();
      const globals = ["--server", port.url, "--protocol", protocol, ...(json ? ["--json"] : [])];
      if (command === "watch") {
        // Started beside the CLI, which watches it.
        await port.app.engine.start(
          validatePipelineRequest(
            parsePipelineText(pipelineYaml, "pipeline.yaml"),
            port.app.config,
          ),
        );
      }
      const exited = runCli({
        argv: [...globals, command, command === "run" ? file : "across"],
        env: {},
        stdout: stdout.stream,
        stderr: stderr.stream,
      });
      const running = (stage: string) =>
        json
          ? new RegExp(`"stageId":"${stage}","status":"PIPELINE_STATUS_RUNNING"`)
          : new RegExp(`${stage}.*RUNNING`);
      for (const stage of ["gate-one", "gate-two"]) {
        await stdout.until(running(stage));
        await port.executor.gateReached(stage);
        await port.close();
        await stderr.until(/Lost the connection/);
        // The pipeline goes on while ottoctl cannot reach it: events it must get on reconnecting.
        port.executor.open(stage);
        await port.reopen();
      }
      const code = await exited;
      assert.equal(code, 0, stderr.text());
      const lost = stderr
        .text()
        .split("\n")
        .filter((l) => l.startsWith("Lost the connection"));
      assert.equal(lost.length, 2, stderr.text());
      assert.match(
        lost[0] ?? "",
        new RegExp(`^Lost the connection to ${port.url} \\(.+\\); reconnecting for up to 5m`),
      );
      const lines = stdout.text().trimEnd().split("\n");
      const history = port.app.engine.view("across");
      const all = [];
      for await (const event of history.progress({ signal: AbortSignal.timeout(5000) }))
        all.push(event);
      assert.equal(lines.length, all.length, stdout.text());
      assert.equal(new Set(lines).size, lines.length, "no line twice");
      if (json) {
        const sequences = lines.map((l) =>
          Number((JSON.parse(l) as { sequence: string }).sequence),
        );
        assert.deepEqual(
          sequences,
          all.map((e) => Number(e.sequence)),
        );
      }
    });
  }

  it("gives up after --reconnect-for, with today's lost-stream message and exit code", async () => {
    await using port = await restartablePort();
    const file = path.join(tempDataDir(), "pipeline.yaml");
    await writeFile(file, pipelineYaml);
    const stdout = watchedStream();
    const stderr = watchedStream();
    const exited = runCli({
      argv: ["--server", port.url, "run", "--reconnect-for", "1s", file],
      env: {},
      stdout: stdout.stream,
      stderr: stderr.stream,
    });
    await stdout.until(/gate-one.*RUNNING/);
    await port.close();
    assert.equal(await exited, 2);
    const lines = stderr.text().split("\n");
    assert.equal(lines.filter((l) => l.startsWith("Lost the connection")).length, 1);
    assert.ok(
      lines.some((l) =>
        l.startsWith("Lost the progress stream of pipeline across; it may still be running"),
      ),
      stderr.text(),
    );
    await port.reopen();
  });

  it("does not send ExecutePipeline again when the stream is lost before its first event", async () => {
    // Every connection is cut as soon as it is made: the pipeline may or may not have started.
    let connections = 0;
    const cutter = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    cutter.listen(0, "127.0.0.1");
    await new Promise((resolve) => cutter.once("listening", resolve));
    const { port } = cutter.address() as net.AddressInfo;
    const file = path.join(tempDataDir(), "pipeline.yaml");
    await writeFile(file, pipelineYaml);
    const stderr = watchedStream();
    const code = await runCli({
      argv: ["--server", `http://127.0.0.1:${port}`, "run", file],
      env: {},
      stdout: watchedStream().stream,
      stderr: stderr.stream,
    });
    await new Promise((resolve) => cutter.close(resolve));
    assert.equal(code, 2);
    assert.equal(connections, 1, "one try only");
    assert.doesNotMatch(stderr.text(), /Lost the connection|reconnecting/);
  });

  it("run across a real server killed and started again on its port exits as the pipeline ended", async () => {
    const port = await freePort();
    const dataDir = tempDataDir();
    const env = { OTTOSCALER_PORT: String(port), OTTOSCALER_DATA_DIR: dataDir };
    const first = await startController(env);
    const pidFile = path.join(dataDir, "worker.pid");
    const file = path.join(dataDir, "pipeline.yaml");
    await writeFile(
      file,
      `pipelineId: killed\nstages:\n  - id: long\n    command: ["echo $$ > ${pidFile}; exec sleep 60"]\n`,
    );
    const stdout = watchedStream();
    const stderr = watchedStream();
    const exited = runCli({
      argv: ["--server", first.url, "--protocol", "grpc", "run", file],
      env: {},
      stdout: stdout.stream,
      stderr: stderr.stream,
    });
    await stdout.until(/long.*RUNNING/);
    await first.stop("SIGKILL");
    await stderr.until(/Lost the connection/);
    // The local executor's worker outlives a SIGKILLed server: the next one ends the run it
    // finds unfinished (CANCELLED "interrupted"), and ottoctl reads that from its journal.
    const second = await startController(env);
    try {
      assert.equal(await exited, 1, stderr.text());
      const lines = stdout.text().trimEnd().split("\n");
      assert.equal(new Set(lines).size, lines.length, "no line twice");
      assert.match(lines.at(-1) ?? "", /pipeline\s+CANCELLED/);
      assert.equal(
        stderr
          .text()
          .split("\n")
          .filter((l) => l.startsWith("Lost the connection")).length,
        1,
        stderr.text(),
      );
      const events = [];
      for await (const e of second.ottoscaler.watchPipeline({ pipelineId: "killed" }))
        events.push(e);
      assert.equal(lines.length, events.length, stdout.text());
    } finally {
      await second.stop();
      const pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
      if (pid > 0) process.kill(pid, "SIGKILL");
    }
  });
});

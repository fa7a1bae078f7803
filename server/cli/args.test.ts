import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCli } from "./args.ts";
import { UsageError } from "./errors.ts";

function usageError(pattern: RegExp) {
  return (e: unknown) => e instanceof UsageError && pattern.test(e.message);
}

describe("parseCli", () => {
  it("uses connect to localhost:9090 without options or environment", () => {
    const { globals, command } = parseCli(["list"]);
    assert.deepEqual(globals, {
      server: "http://localhost:9090",
      protocol: "connect",
      json: false,
    });
    assert.deepEqual(command, { name: "list" });
  });

  it("takes the server from OTTOSCALER_SERVER, and --server over it", () => {
    const env = { OTTOSCALER_SERVER: "http://otto.test:8080" };
    assert.equal(parseCli(["list"], env).globals.server, "http://otto.test:8080");
    assert.equal(
      parseCli(["list", "--server", "https://other.test/"], env).globals.server,
      "https://other.test",
    );
  });

  it("accepts global options before or after the command", () => {
    const a = parseCli(["--protocol", "grpc", "--json", "watch", "p-1"]);
    const b = parseCli(["watch", "p-1", "--protocol=grpc", "--json"]);
    assert.deepEqual(a, b);
    assert.deepEqual(a.command, {
      name: "watch",
      pipelineId: "p-1",
      follow: { reconnectForMs: 300_000 },
    });
    assert.equal(a.globals.protocol, "grpc");
    assert.equal(a.globals.json, true);
  });

  it("rejects an unknown protocol and a server that is not an http URL", () => {
    assert.throws(
      () => parseCli(["list", "--protocol", "http3"]),
      usageError(/--protocol: "http3"/),
    );
    assert.throws(() => parseCli(["list", "--server", "localhost:9090"]), usageError(/--server/));
    assert.throws(() => parseCli(["list", "--server", "not a url"]), usageError(/--server/));
  });

  it("parses run FILE with its -p values and needs exactly one file", () => {
    assert.deepEqual(parseCli(["run", "examples/full.yaml"]).command, {
      name: "run",
      file: "examples/full.yaml",
      params: {},
      follow: { reconnectForMs: 300_000 },
    });
    assert.deepEqual(
      parseCli(["run", "f.yaml", "-p", "version=1.2", "--param", "empty=", "-p", "version=2"])
        .command,
      {
        name: "run",
        file: "f.yaml",
        params: { version: "2", empty: "" },
        follow: { reconnectForMs: 300_000 },
      },
    );
    assert.throws(
      () => parseCli(["run", "f.yaml", "-p", "version"]),
      usageError(/-p\/--param: "version" is not KEY=VALUE/),
    );
    assert.deepEqual(parseCli(["run", "--reconnect-for", "30s", "f.yaml"]).command, {
      name: "run",
      file: "f.yaml",
      params: {},
      follow: { reconnectForMs: 30_000 },
    });
    assert.throws(
      () => parseCli(["run", "--reconnect-for", "soon", "f.yaml"]),
      usageError(/--reconnect-for: "soon" is not a duration/),
    );
    assert.throws(() => parseCli(["run"]), usageError(/run needs a pipeline file/));
    assert.throws(
      () => parseCli(["run", "a.yaml", "b.yaml"]),
      usageError(/unexpected argument "b.yaml"/),
    );
  });

  it("parses scale-up with workers, image, repeated env and the command after --", () => {
    const { command } = parseCli([
      "scale-up",
      "build",
      "-w",
      "3",
      "--image",
      "busybox",
      "-e",
      "A=1",
      "--env",
      "B=x=y",
      "--",
      "sh",
      "-c",
      "echo hi",
    ]);
    assert.deepEqual(command, {
      name: "scale-up",
      taskId: "build",
      workers: 3,
      image: "busybox",
      env: { A: "1", B: "x=y" },
      command: ["sh", "-c", "echo hi"],
    });
  });

  it("treats options after -- as part of the scale-up command", () => {
    const { command } = parseCli(["scale-up", "t", "-w", "1", "--", "ls", "--json", "-w"]);
    assert.equal(command.name, "scale-up");
    if (command.name === "scale-up") assert.deepEqual(command.command, ["ls", "--json", "-w"]);
  });

  it("rejects scale-up without workers, with a bad count, a bad env or no command", () => {
    assert.throws(() => parseCli(["scale-up", "t", "--", "true"]), usageError(/-w N/));
    assert.throws(() => parseCli(["scale-up", "t", "-w", "0", "--", "true"]), usageError(/"0"/));
    assert.throws(() => parseCli(["scale-up", "t", "-w", "2x", "--", "true"]), usageError(/"2x"/));
    assert.throws(
      () => parseCli(["scale-up", "t", "-w", "1", "-e", "NOVALUE", "--", "true"]),
      usageError(/"NOVALUE" is not KEY=VALUE/),
    );
    assert.throws(() => parseCli(["scale-up", "t", "-w", "1"]), usageError(/needs a command/));
  });

  it("parses scale-down TASK -w N", () => {
    assert.deepEqual(parseCli(["scale-down", "t", "-w", "2"]).command, {
      name: "scale-down",
      taskId: "t",
      workers: 2,
    });
  });

  it("parses logs for a worker or for a pipeline and stage, with -f", () => {
    assert.deepEqual(parseCli(["logs", "w-1", "-f"]).command, {
      name: "logs",
      target: { kind: "worker", workerId: "w-1" },
      follow: true,
    });
    assert.deepEqual(parseCli(["logs", "--pipeline", "p-1", "--stage", "lint"]).command, {
      name: "logs",
      target: { kind: "pipeline", pipelineId: "p-1", stageId: "lint" },
      follow: false,
    });
  });

  it("rejects logs with both a worker and a pipeline, or --stage alone", () => {
    assert.throws(() => parseCli(["logs", "w-1", "--pipeline", "p"]), usageError(/not both/));
    assert.throws(() => parseCli(["logs", "--stage", "lint"]), usageError(/--stage only works/));
    assert.throws(() => parseCli(["logs"]), usageError(/logs needs a worker ID/));
  });

  it("parses status filters and --watch", () => {
    assert.deepEqual(parseCli(["status", "--task", "t", "--watch"]).command, {
      name: "status",
      taskId: "t",
      pipelineId: "",
      watch: true,
    });
  });

  it("parses cancel with an optional reason", () => {
    assert.deepEqual(parseCli(["cancel", "p-1", "--reason", "wrong branch"]).command, {
      name: "cancel",
      pipelineId: "p-1",
      reason: "wrong branch",
    });
  });

  it("rejects an option that belongs to another command", () => {
    assert.throws(
      () => parseCli(["run", "f.yaml", "-f"]),
      usageError(/-f is not an option of "run"/),
    );
    assert.throws(
      () => parseCli(["list", "--watch"]),
      usageError(/--watch is not an option of "list"/),
    );
  });

  it("rejects unknown commands, unknown options and a missing command", () => {
    assert.throws(() => parseCli(["deploy"]), usageError(/unknown command "deploy"/));
    assert.throws(() => parseCli(["list", "--verbose"]), usageError(/--verbose/));
    assert.throws(() => parseCli([]), usageError(/missing command/));
  });

  it("turns --help and help into a help command, for a command or overall", () => {
    assert.deepEqual(parseCli(["--help"]).command, { name: "help", topic: undefined });
    assert.deepEqual(parseCli(["run", "--help"]).command, { name: "help", topic: "run" });
    assert.deepEqual(parseCli(["scale-up", "-h"]).command, { name: "help", topic: "scale-up" });
    assert.deepEqual(parseCli(["help", "logs"]).command, { name: "help", topic: "logs" });
  });
});

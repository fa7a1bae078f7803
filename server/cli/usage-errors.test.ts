import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { runCliCaptured } from "./captured-cli.ts";

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

const hint = "Run `ottoctl --help` for usage.";

/** Command lines ottoctl refuses, and the message it gives for each. */
const usageErrors: [args: string[], message: string][] = [
  [[], "missing command"],
  [["deploy"], 'unknown command "deploy"'],
  [["deploy", "--help"], 'unknown command "deploy"'],
  [["help", "deploy"], 'unknown command "deploy"'],
  [["help", ""], 'unknown command ""'],
  [["help", "run", "logs"], 'help: unexpected argument "logs"'],
  [
    ["list", "--verbose"],
    `Unknown option '--verbose'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- "--verbose"`,
  ],
  [
    ["list", "--verbose", "--help"],
    `Unknown option '--verbose'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- "--verbose"`,
  ],
  [
    ["-x"],
    `Unknown option '-x'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- "-x"`,
  ],
  [["list", "-w"], "Option '-w, --workers <value>' argument missing"],
  [["status", "--task"], "Option '--task <value>' argument missing"],
  [["list", "--json=1"], "Option '--json' does not take an argument"],
  [
    ["scale-down", "t", "-w", "-1"],
    "Option '-w' argument is ambiguous.\nDid you forget to specify the option argument for '-w'?\nTo specify an option argument starting with a dash use '--workers=-XYZ' or '-w-XYZ'.",
  ],
  [["list", "--watch"], '--watch is not an option of "list"'],
  [["list", "-w", "3"], '-w is not an option of "list"'],
  [["run", "f.yaml", "-f"], '-f is not an option of "run"'],
  [["logs", "-fw", "2", "x"], '-w is not an option of "logs"'],
  [["--protocol", "http3", "list"], '--protocol: "http3" is not one of grpc, grpc-web, connect'],
  [["--protocol", "x", "--help"], '--protocol: "x" is not one of grpc, grpc-web, connect'],
  [
    ["--server", "localhost:9090", "list"],
    '--server: "localhost:9090" must start with http:// or https://',
  ],
  [
    ["--server", "not a url", "list"],
    '--server: "not a url" is not a URL such as http://localhost:9090',
  ],
  [["run"], "run needs a pipeline file: ottoctl run FILE"],
  [["run", "a.yaml", "b.yaml"], 'run: unexpected argument "b.yaml"'],
  [["watch"], "watch needs a pipeline ID: ottoctl watch ID"],
  [["watch", ""], "watch needs a pipeline ID: ottoctl watch ID"],
  [["cancel"], "cancel needs a pipeline ID: ottoctl cancel ID"],
  [["cancel", "", "x"], 'cancel: unexpected argument "x"'],
  [["logs"], "logs needs a worker ID, or --pipeline ID"],
  [["logs", "w", "p"], 'logs: unexpected argument "p"'],
  [["logs", "w", "--pipeline", "p"], "logs takes either WORKER_ID or --pipeline ID, not both"],
  [["logs", "--stage", "s"], "--stage only works with --pipeline ID"],
  [["logs", "w", "--stage", ""], "--stage only works with --pipeline ID"],
  [["logs", "--pipeline", ""], "logs needs a pipeline ID after --pipeline"],
  [["logs", "--pipeline="], "logs needs a pipeline ID after --pipeline"],
  [["scale-up"], "scale-up needs a task ID: ottoctl scale-up TASK -w N -- CMD..."],
  [["scale-up", "-w", "0"], "scale-up needs a task ID: ottoctl scale-up TASK -w N -- CMD..."],
  [
    ["scale-up", "t", "-w", "0"],
    "scale-up needs a command after --: ottoctl scale-up TASK -w N -- CMD...",
  ],
  [["scale-up", "t", "--", "true"], "scale-up needs the number of workers: -w N"],
  [["scale-up", "t", "-e", "X", "--", "true"], "scale-up needs the number of workers: -w N"],
  [
    ["scale-up", "t", "-w", "0", "--", "true"],
    '-w/--workers: "0" is not a whole number of at least 1',
  ],
  [
    ["scale-up", "t", "-w", "2x", "-e", "X", "--", "true"],
    '-w/--workers: "2x" is not a whole number of at least 1',
  ],
  [
    ["scale-up", "t", "-w", "", "--", "true"],
    '-w/--workers: "" is not a whole number of at least 1',
  ],
  [
    ["scale-up", "t", "-w", "1", "-e", "NOVALUE", "--", "true"],
    '-e/--env: "NOVALUE" is not KEY=VALUE',
  ],
  [["scale-up", "t", "-w", "1", "-e", "=x", "--", "true"], '-e/--env: "=x" is not KEY=VALUE'],
  [["scale-down"], "scale-down needs a task ID: ottoctl scale-down TASK -w N"],
  [["scale-down", "t"], "scale-down needs the number of workers: -w N"],
  [["scale-down", "t", "x", "-w", "1"], 'scale-down: unexpected argument "x"'],
  [
    ["scale-down", "t", "-w", "2147483648"],
    '-w/--workers: "2147483648" is not a whole number of at least 1',
  ],
  [["status", "x"], 'status: unexpected argument "x"'],
  [["list", "x"], 'list: unexpected argument "x"'],
  [["forwarding", "--", "x"], 'forwarding: unexpected argument "x"'],
];

describe("ottoctl usage errors", () => {
  for (const [args, message] of usageErrors) {
    it(`refuses \`ottoctl ${args.join(" ")}\` with exit code 2: ${message.split("\n")[0]}`, async () => {
      assert.deepEqual(await runCliCaptured(args), {
        code: 2,
        stdout: "",
        stderr: `error: ${message}\n${hint}\n`,
      });
    });
  }

  it("checks OTTOSCALER_SERVER before anything else, even --help", async () => {
    assert.deepEqual(await runCliCaptured(["--help"], { OTTOSCALER_SERVER: "ftp://x" }), {
      code: 2,
      stdout: "",
      stderr: `error: --server: "ftp://x" must start with http:// or https://\n${hint}\n`,
    });
  });
});

describe("ottoctl errors after parsing", () => {
  it("exits 2 without the usage hint when the pipeline file cannot be read", async () => {
    assert.deepEqual(await runCliCaptured(["run", "/nonexistent/pipeline.yaml"]), {
      code: 2,
      stdout: "",
      stderr: "error: cannot read pipeline file /nonexistent/pipeline.yaml: no such file\n",
    });
  });

  it("exits 2 and names the server and how to set it when nothing listens there", async () => {
    assert.deepEqual(await runCliCaptured(["list", "--server", "http://127.0.0.1:1"]), {
      code: 2,
      stdout: "",
      stderr:
        "error: [unavailable] connect ECONNREFUSED 127.0.0.1:1\n" +
        "(is an Ottoscaler server listening at http://127.0.0.1:1? Set it with --server URL or OTTOSCALER_SERVER, and the protocol with --protocol)\n",
    });
  });
});

describe("bin/ottoctl.js", () => {
  /** Runs ottoctl as a user would; OTTOSCALER_SERVER is left out so the caller's shell cannot matter. */
  async function ottoctlProcess(args: string[]) {
    const { OTTOSCALER_SERVER: _ignored, ...env } = process.env;
    try {
      const { stdout, stderr } = await execFileAsync(
        process.execPath,
        [path.join(root, "bin/ottoctl.js"), ...args],
        { cwd: root, env },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it("exits with the code and prints the output of the same command line run in-process", async () => {
    for (const args of [["--help"], ["logs", "-h"], [], ["list", "--watch"]]) {
      assert.deepEqual(await ottoctlProcess(args), await runCliCaptured(args));
    }
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCliCaptured } from "./captured-cli.ts";

// The help texts exactly as users see them: any change to them must be deliberate.

const globalOptionsHelp = `Global options:
  --server URL         Ottoscaler server (default: $OTTOSCALER_SERVER or http://localhost:9090)
  --protocol PROTOCOL  grpc (HTTP/2), grpc-web or connect (JSON over HTTP/1.1; the default)
  --json               print the API's messages as JSON, one per line
  --token TOKEN        bearer token for servers with authentication (default: $OTTOSCALER_TOKEN)
  --ca FILE            PEM CA to trust for an https:// server (default: $OTTOSCALER_CA, else the system's)
  --cert FILE          PEM client certificate, for servers in mtls mode (with --key)
  --key FILE           PEM private key of --cert
  -h, --help           show help`;

const overview = `ottoctl: command-line client for Ottoscaler

Usage: ottoctl [global options] COMMAND [arguments]

Commands:
  run FILE                     run a pipeline file (YAML or JSON) and follow its progress
  watch ID                     follow a pipeline's progress
  cancel ID                    cancel a pipeline
  list                         list pipelines
  forwarding                   show log forwarding to Otto-handler and its lag
  logs WORKER_ID               print a worker's logs (-f to follow)
  logs --pipeline ID           print a pipeline's logs (--stage S, -f)
  scale-up TASK -w N -- CMD    start N workers of a task
  scale-down TASK -w N         stop N workers of a task
  status                       show workers (--task T, --pipeline P, --watch)
  audit                        show who ran, cancelled or scaled what, and refused calls
  help [COMMAND]               show help

${globalOptionsHelp}

Run \`ottoctl COMMAND --help\` for a command's options.`;

const commandHelp: Record<string, string> = {
  run: `Usage: ottoctl run FILE [-p K=V]... [--reconnect-for DURATION]

Runs the pipeline in FILE (YAML or JSON, shaped like the PipelineRequest JSON) and follows its
progress: a live table of stages on a terminal, one line per event otherwise.
Ctrl-C detaches; the pipeline keeps running (re-attach with \`ottoctl watch ID\`).
A lost connection (the server restarting, say) is reopened by itself, from the event after
the last one shown; the pipeline is never started twice.
Exit code: 0 when the pipeline SUCCEEDED, 1 when it FAILED or was CANCELLED, 2 on errors,
130 after detaching.
  -p, --param K=V      a value for one of the pipeline's params (repeatable), over its default
  --reconnect-for DURATION  keep reconnecting to a lost server this long (default 5m; 0s: never)`,
  watch: `Usage: ottoctl watch ID [--reconnect-for DURATION]

Follows a pipeline from its first event to its last, like \`run\`, with the same exit codes
and the same reconnecting.
  --reconnect-for DURATION  keep reconnecting to a lost server this long (default 5m; 0s: never)`,
  cancel: `Usage: ottoctl cancel ID [--reason TEXT]

Cancels a pipeline: its workers are stopped and its unfinished stages CANCELLED.`,
  list: `Usage: ottoctl list

Lists the pipelines the server knows, newest first.`,
  forwarding: `Usage: ottoctl forwarding

Shows where worker logs and status events are forwarded (Otto-handler) and how far behind:
entries and seconds not yet acknowledged, failures, the last error.`,
  logs: `Usage: ottoctl logs WORKER_ID [-f]
       ottoctl logs --pipeline ID [--stage S] [-f]

Prints a worker's output, or every worker's output of a pipeline (or one stage) with each line
prefixed by stage/worker.
  -f, --follow         keep printing new lines until the worker or pipeline ends`,
  "scale-up": `Usage: ottoctl scale-up TASK -w N [--image IMG] [-e KEY=VALUE]... -- CMD...

Starts N more workers of the task, each running CMD (one argument runs through sh -c).
  -w, --workers N      how many workers to start
  --image IMG          container image (for the Kubernetes executor)
  -e, --env KEY=VALUE  environment variable for the workers (repeatable)`,
  "scale-down": `Usage: ottoctl scale-down TASK -w N

Stops N live workers of the task, newest first.
  -w, --workers N      how many workers to stop`,
  status: `Usage: ottoctl status [--task T] [--pipeline P] [--watch]

Shows a table of workers, all or those of one task or pipeline.
  --task T             only the workers of task T
  --pipeline P         only the workers of pipeline P
  --watch              keep the table up to date until Ctrl-C`,
  audit: `Usage: ottoctl audit [--since AGE|TIME] [--user NAME] [--limit N]

Lists the audit trail (admins only): every mutating call and every refused call, with
its user, source address, target and result; the newest, oldest first.
  --since AGE|TIME     only events since then: 30m, 2h, 7d or a date
  --user NAME          only this user's events
  --limit N            at most N events (default 100)`,
  help: `Usage: ottoctl help [COMMAND]

Shows help for ottoctl or one command.`,
};

describe("ottoctl help", () => {
  for (const args of [["--help"], ["-h"], ["help"], ["--json", "help"]]) {
    it(`prints the overview for \`ottoctl ${args.join(" ")}\` and exits 0`, async () => {
      assert.deepEqual(await runCliCaptured(args), {
        code: 0,
        stdout: `${overview}\n`,
        stderr: "",
      });
    });
  }

  for (const [name, text] of Object.entries(commandHelp)) {
    for (const args of [
      [name, "--help"],
      [name, "-h"],
      ["help", name],
      ["--help", name],
    ]) {
      it(`prints the help of ${name} for \`ottoctl ${args.join(" ")}\` and exits 0`, async () => {
        assert.deepEqual(await runCliCaptured(args), {
          code: 0,
          stdout: `${text}\n\n${globalOptionsHelp}\n`,
          stderr: "",
        });
      });
    }
  }

  it("prints a command's help whatever its arguments and known options, before checking them", async () => {
    for (const args of [
      ["run", "--help", "a.yaml", "b.yaml"],
      ["run", "-f", "--help"],
      ["scale-up", "-h", "--", "anything"],
    ]) {
      const name = args[0] ?? "";
      assert.deepEqual(await runCliCaptured(args), {
        code: 0,
        stdout: `${commandHelp[name]}\n\n${globalOptionsHelp}\n`,
        stderr: "",
      });
    }
  });
});

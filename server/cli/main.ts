import { runCli } from "./cli.ts";

// `ottoctl logs ... | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}

const code = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
// Flush, then exit: an HTTP/2 session to the server would otherwise keep the process alive.
await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
process.exit(code);

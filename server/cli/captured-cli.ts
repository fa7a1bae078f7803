import { Writable } from "node:stream";
import { runCli } from "./cli.ts";

export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A stream that keeps what is written to it; not a terminal, like a pipe. */
function captureStream(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  // Commands only write to it and ask isTTY, which a Writable leaves undefined (not a terminal).
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join("") };
}

/**
 * Runs one ottoctl command line in this process, for tests, and returns its exit code and
 * output. The environment is only what is given, so the caller's OTTOSCALER_SERVER cannot
 * change the outcome.
 */
export async function runCliCaptured(
  argv: readonly string[],
  env: Record<string, string> = {},
): Promise<CapturedRun> {
  const stdout = captureStream();
  const stderr = captureStream();
  const code = await runCli({ argv, env, stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

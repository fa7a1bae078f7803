import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";

/** What one kubectl run (or a bash script of them) left behind. */
export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end, feeding `input` on stdin; never rejects for a non-zero exit. */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...options.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

export interface KubectlOptions {
  input?: string;
  /** Attempts in all; another test may restart kube-apiserver under us. */
  tries?: number;
  /** A failure on a retry that means the first try got through (e.g. AlreadyExists). */
  doneIf?: RegExp;
}

/** Retries made by `kubectl` since the process started, for the report. */
export const kubectlRetries: string[] = [];

/** kubectl with a few retries, one second apart; rejects with the last stderr. */
export async function kubectl(
  args: readonly string[],
  options: KubectlOptions = {},
): Promise<string> {
  const tries = options.tries ?? 4;
  let last: ProcessResult | undefined;
  for (let attempt = 1; attempt <= tries; attempt++) {
    const input = options.input === undefined ? {} : { input: options.input };
    last = await runProcess("kubectl", args, input);
    if (last.code === 0) return last.stdout;
    if (attempt > 1 && options.doneIf?.test(last.stderr)) return last.stdout;
    if (attempt < tries) {
      kubectlRetries.push(`kubectl ${args.join(" ")}: ${last.stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  throw new Error(`kubectl ${args.join(" ")} failed: ${last?.stderr.trim()}`);
}

/** A fresh namespace whose default service account has its token, so pods are admitted. */
export async function createNamespace(prefix: string): Promise<string> {
  const namespace = `${prefix}-${randomBytes(3).toString("hex")}`;
  await kubectl(["create", "namespace", namespace], { doneIf: /AlreadyExists/ });
  for (let i = 0; i < 200; i++) {
    const secrets = await kubectl(
      ["get", "sa", "default", "-n", namespace, "-o", "jsonpath={.secrets}"],
      { tries: 1 },
    ).catch(() => "");
    if (secrets.includes("name")) return namespace;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`service account token for ${namespace} never appeared`);
}

export async function deleteNamespace(namespace: string): Promise<void> {
  await kubectl(["delete", "namespace", namespace, "--wait=false"], {
    doneIf: /NotFound/,
  }).catch(() => {});
}

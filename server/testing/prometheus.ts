import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { stringify } from "yaml";
import { freePort } from "./free-port.ts";

export const prometheusBinary = "/usr/bin/prometheus";
export const promtoolBinary = "/usr/bin/promtool";

export const noPrometheus = existsSync(prometheusBinary)
  ? false
  : `${prometheusBinary} is missing: apt-get install --no-install-recommends prometheus (CI installs it)`;

export interface PrometheusProcess extends AsyncDisposable {
  url: string;
  child: ChildProcess;
  /** The result vector of an instant query. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Alerts as GET /api/v1/alerts lists them. */
  alerts(): Promise<{ labels: Record<string, string>; state: string }[]>;
}

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== "success") throw new Error(`${url}: ${body.error}`);
  return body.data;
}

/**
 * Debian's Prometheus on a free port with its storage in a temporary
 * directory, scraping `target` (host:port) every second with `token`, and
 * evaluating `ruleFiles` every second. Resolves once it says it is ready.
 */
export async function startPrometheus(options: {
  target: string;
  token?: string;
  ruleFiles: string[];
}): Promise<PrometheusProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-prometheus-"));
  const config = {
    global: { scrape_interval: "1s", evaluation_interval: "1s" },
    rule_files: options.ruleFiles,
    scrape_configs: [
      {
        job_name: "ottoscaler",
        static_configs: [{ targets: [options.target] }],
        ...(options.token !== undefined && {
          authorization: { type: "Bearer", credentials: options.token },
        }),
      },
    ],
  };
  const configFile = path.join(dir, "prometheus.yml");
  await writeFile(configFile, stringify(config));
  const port = await freePort();
  const child = spawn(
    prometheusBinary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) =>
      reject(new Error(`prometheus exited with ${code}:\n${output.join("\n")}`)),
    );
    readline
      .createInterface({ input: child.stderr as NodeJS.ReadableStream })
      .on("line", (line) => {
        output.push(line);
        if (line.includes("Server is ready to receive web requests")) resolve();
      });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    child,
    query: async (expr) =>
      (
        await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
          `${url}/api/v1/query?query=${encodeURIComponent(expr)}`,
        )
      ).result,
    alerts: async () =>
      (
        await api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
          `${url}/api/v1/alerts`,
        )
      ).alerts,
    async [Symbol.asyncDispose]() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/**
 * Asks until `read` gives a value `done` accepts: Prometheus scrapes and
 * evaluates on its own clock and tells no one, so its API is asked again.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in time: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

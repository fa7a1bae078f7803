/**
 * Idle memory: `npm run bench:idle`. The server as `npm start` runs it (local
 * executor, a fresh data directory) against a bare connect-node server of the
 * same services (bench/baseline-connect-server.ts), each its own process,
 * started in interleaved rounds; each answers one GetWorkerStatus over gRPC,
 * then its resident set (VmRSS of /proc/PID/status) is read after it has been
 * idle for BENCH_IDLE_SETTLE_MS. Prints the medians, the spread and the ratio.
 * BENCH_IDLE_ROUNDS (default 5).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OttoscalerService } from "../gen/ottoscaler/v1/ottoscaler_pb.js";
import { knobValue } from "./knob.ts";
import { median } from "./stats.ts";
import { fixed, ratio, renderTable } from "./table.ts";

const rounds = knobValue(process.env, { env: "BENCH_IDLE_ROUNDS", default: 5, min: 1 });
const settleMs = knobValue(process.env, { env: "BENCH_IDLE_SETTLE_MS", default: 2000, min: 0 });
const root = path.resolve(import.meta.dirname, "..");

/** Resolves with the port once the child prints a line `match` finds it in. */
function portOf(child: ChildProcess, match: (line: string) => number | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`exited with ${code} before listening`)));
    readline
      .createInterface({ input: child.stdout as NodeJS.ReadableStream })
      .on("line", (line) => {
        const port = match(line);
        if (port !== undefined) resolve(port);
      });
  });
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  return kb / 1024;
}

async function measure(side: "ours" | "baseline"): Promise<number> {
  const child =
    side === "ours"
      ? spawn(process.execPath, [path.join(root, "server/main.ts")], {
          env: {
            ...process.env,
            OTTOSCALER_PORT: "0",
            OTTOSCALER_HOST: "127.0.0.1",
            OTTOSCALER_EXECUTOR: "local",
            OTTOSCALER_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), "ottoscaler-idle-")),
          },
          stdio: ["ignore", "pipe", "ignore"],
        })
      : spawn(process.execPath, [path.join(import.meta.dirname, "baseline-connect-server.ts")], {
          stdio: ["ignore", "pipe", "ignore"],
        });
  try {
    const port = await portOf(child, (line) => {
      if (side === "baseline") return Number(/^listening (\d+)$/.exec(line)?.[1]) || undefined;
      if (!line.includes('"serverListening"')) return undefined;
      return (JSON.parse(line) as { port?: number }).port;
    });
    const client = createClient(
      OttoscalerService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }),
    );
    await client.getWorkerStatus({});
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return await rssMiB(child.pid as number);
  } finally {
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  }
}

const samples = { ours: [] as number[], baseline: [] as number[] };
for (let round = 1; round <= rounds; round++) {
  const order = round % 2 === 1 ? (["ours", "baseline"] as const) : (["baseline", "ours"] as const);
  for (const side of order) {
    const mib = await measure(side);
    samples[side].push(mib);
    process.stderr.write(`[idle] round ${round} ${side}: ${mib.toFixed(1)} MiB\n`);
  }
}
const row = (side: "ours" | "baseline") => [
  side,
  fixed(median(samples[side]), 1),
  `${fixed(Math.min(...samples[side]), 1)}–${fixed(Math.max(...samples[side]), 1)}`,
];
process.stdout.write(
  `Idle RSS after start and one GetWorkerStatus (${settleMs} ms settle), MiB, ${rounds} interleaved rounds\n` +
    `${renderTable(["server", "median", "range"], [row("ours"), row("baseline")])}\n` +
    `ours/baseline: ${ratio(median(samples.ours) / median(samples.baseline))}\n`,
);

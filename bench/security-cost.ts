/**
 * The cost of security (issue 12): unary and streaming throughput of one server with TLS and
 * tokens authentication against one with cleartext and none, same process, same run, rounds
 * alternated. `npm run bench:security`; sizes: BENCH_SECURITY_CALLS (unary calls a round),
 * BENCH_SECURITY_LINES (lines in the streamed build), BENCH_SECURITY_ROUNDS.
 */
import { readFileSync } from "node:fs";
import { collect, startTestServer, type TestServer } from "../server/testing/test-server.ts";
import { testTls } from "../server/testing/tls.ts";
import { roleTokens } from "../server/testing/tokens.ts";

const calls = Number(process.env.BENCH_SECURITY_CALLS ?? 20_000);
const lines = Number(process.env.BENCH_SECURITY_LINES ?? 50_000);
const rounds = Number(process.env.BENCH_SECURITY_ROUNDS ?? 3);
const concurrency = 64;

const { file, token } = roleTokens();
const plain = await startTestServer();
const secure = await startTestServer({
  OTTOSCALER_AUTH: "tokens",
  OTTOSCALER_TOKENS_FILE: file,
  OTTOSCALER_TLS_CERT_FILE: testTls.cert,
  OTTOSCALER_TLS_KEY_FILE: testTls.key,
  // The limits are not what is measured.
  OTTOSCALER_RATE_LIMIT_BURST: "1000000",
});
const targets: { name: string; server: TestServer; credentials: object }[] = [
  { name: "cleartext, no auth", server: plain, credentials: {} },
  {
    name: "TLS + tokens",
    server: secure,
    credentials: { ca: readFileSync(testTls.cert), token: token.admin ?? "" },
  },
];

for (const { server, credentials } of targets) {
  const client = server.clients("grpc", credentials).ottoscaler;
  await collect(
    client.executePipeline({
      pipelineId: "bench",
      stages: [{ id: "out", command: [`seq 1 ${lines}`] }],
    }),
  );
}

async function unary(t: (typeof targets)[number]): Promise<number> {
  const client = t.server.clients("grpc", t.credentials).ottoscaler;
  let left = calls;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await client.getWorkerStatus({});
    }),
  );
  return calls / ((performance.now() - started) / 1000);
}

async function streaming(t: (typeof targets)[number]): Promise<number> {
  const logs = t.server.clients("grpc", t.credentials).logs;
  const started = performance.now();
  const entries = await collect(logs.streamBuildLogs({ pipelineId: "bench" }));
  if (entries.length < lines) throw new Error(`${t.name}: ${entries.length} of ${lines} lines`);
  return entries.length / ((performance.now() - started) / 1000);
}

const results = new Map<string, { unary: number[]; streaming: number[] }>();
for (const t of targets) results.set(t.name, { unary: [], streaming: [] });
await unary(targets[0] as (typeof targets)[number]); // warm-up
await unary(targets[1] as (typeof targets)[number]);
for (let round = 0; round < rounds; round++) {
  for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
    const r = results.get(t.name);
    r?.unary.push(await unary(t));
    r?.streaming.push(await streaming(t));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const rows = targets.map((t) => {
  const r = results.get(t.name) ?? { unary: [], streaming: [] };
  return { name: t.name, unary: median(r.unary), streaming: median(r.streaming) };
});
const [base, sec] = rows;
for (const r of rows) {
  process.stdout.write(
    `${r.name.padEnd(20)} unary ${r.unary.toFixed(0).padStart(7)} calls/s   streaming ${r.streaming.toFixed(0).padStart(8)} lines/s\n`,
  );
}
if (base !== undefined && sec !== undefined) {
  process.stdout.write(
    `TLS + tokens / cleartext: unary ${(sec.unary / base.unary).toFixed(2)}, streaming ${(sec.streaming / base.streaming).toFixed(2)} (${calls} calls x ${concurrency} in flight, ${lines} lines, median of ${rounds} rounds)\n`,
  );
}
await Promise.all(targets.map((t) => t.server[Symbol.asyncDispose]()));

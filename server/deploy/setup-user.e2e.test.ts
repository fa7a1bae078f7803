import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { kubernetesNameOf } from "../domain/worker-id.ts";
import { jobEvents, readAuditEvents, waitForAudit } from "../testing/audit-log.ts";
import { assertPermissions, permissionMatrix } from "../testing/can-i.ts";
import { kubectl } from "../testing/cluster.ts";
import {
  controllerNamespace,
  controllerPod,
  deployLocal,
  ottoctl,
  parseLogLines,
  skipUnlessE2e,
} from "../testing/deployment.ts";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

/** The `export NAME=VALUE` lines hack/setup-user.sh prints, as an environment. */
function exportsOf(stdout: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of stdout.matchAll(/^export (\w+)=(\S+)$/gm)) env[m[1] as string] = m[2] as string;
  return env;
}

describe("hack/setup-user.sh beside the deployed controller", { skip: skipUnlessE2e }, () => {
  const name = `e2e-${randomBytes(3).toString("hex")}`;
  const ns = `ottoscaler-${name}`;
  let dir = "";

  const setupUser = (arg: string) =>
    exec("bash", [path.join(root, "hack/setup-user.sh"), arg], {
      cwd: root,
      env: { ...process.env, OTTOSCALER_USER_KUBECONFIG_DIR: dir },
    });

  /** resourceVersion of everything the script makes: unchanged means it changed nothing. */
  const versions = async () =>
    kubectl(
      "get",
      `namespace/${ns}`,
      "-n",
      ns,
      "serviceaccount/ottoscaler",
      "role/ottoscaler",
      "rolebinding/ottoscaler",
      "secret/ottoscaler-token",
      "-o",
      'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}',
    );

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ottoscaler-setup-user-"));
    // Deployed as users deploy it (a no-op when it already is).
    await deployLocal();
  });

  after(async () => {
    await kubectl("delete", "namespace", ns, "--ignore-not-found", "--wait=false");
    await rm(dir, { recursive: true, force: true });
  });

  it("rejects a NAME that is not a DNS label", async () => {
    for (const bad of ["Alice", "bob_1", "-x", "x-", "a.b", "a".repeat(53), ""]) {
      await assert.rejects(setupUser(bad), (e: { code?: number }) => e.code === 2, bad);
    }
  });

  it("gives NAME a namespace with the controller's ServiceAccount, Role and RoleBinding; again is a no-op", async () => {
    const first = await setupUser(name);
    const kubeconfig = path.join(dir, `${ns}.kubeconfig`);
    assert.match(first.stdout, new RegExp(`^export OTTOSCALER_NAMESPACE=${ns}$`, "m"));
    assert.match(first.stdout, /^export OTTOSCALER_EXECUTOR=kubernetes$/m);
    assert.ok(first.stdout.includes(`export KUBECONFIG=${kubeconfig}`), first.stdout);
    const before = await versions();
    assert.equal(before.trim().split("\n").length, 5, before);
    const config = await readFile(kubeconfig, "utf8");

    const second = await setupUser(name);
    assert.equal(second.stdout, first.stdout);
    assert.doesNotMatch(second.stderr, /created|configured/, second.stderr);
    assert.equal(await versions(), before, "a second run changed nothing");
    assert.equal(await readFile(kubeconfig, "utf8"), config);

    // The same rules as the deployed Role, from the same file.
    assert.equal(
      await kubectl("get", "role/ottoscaler", "-n", ns, "-o", "jsonpath={.rules}"),
      await kubectl("get", "role/ottoscaler", "-n", controllerNamespace, "-o", "jsonpath={.rules}"),
    );
    await assertPermissions(`system:serviceaccount:${ns}:ottoscaler`, permissionMatrix(ns));

    // The kubeconfig it wrote acts as that ServiceAccount, in that namespace.
    const asUser = (...args: string[]) =>
      exec("kubectl", ["--kubeconfig", kubeconfig, ...args]).then(
        (r) => r.stdout.trim(),
        (e: { stdout?: string }) => (e.stdout ?? "").trim(),
      );
    assert.equal(await asUser("auth", "can-i", "create", "jobs.batch"), "yes");
    assert.equal(await asUser("auth", "can-i", "get", "secrets"), "no");
    assert.equal(
      await asUser("auth", "can-i", "create", "jobs.batch", "-n", controllerNamespace),
      "no",
    );
    assert.equal(await asUser("config", "view", "--minify", "-o", "jsonpath={..namespace}"), ns);
  });

  it("runs a developer's own controller from the checkout with its workers in their namespace, leaving the deployed controller alone", async (t) => {
    const exports = exportsOf((await setupUser(name)).stdout);
    const deployed = await controllerPod();
    const since = Date.now();
    // `eval "$(hack/setup-user.sh NAME)" && npm start`, on a free port.
    const child = spawn(process.execPath, [path.join(root, "server/main.ts")], {
      cwd: root,
      env: {
        ...process.env,
        ...exports,
        OTTOSCALER_HOST: "127.0.0.1",
        OTTOSCALER_PORT: "0",
        OTTOSCALER_DATA_DIR: path.join(dir, "data"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      const ready = await new Promise<Record<string, unknown>[]>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`not ready in 30 s:\n${out}${err}`)),
          30_000,
        );
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          if (!/"event":"serverReady"/.test(out)) return;
          clearTimeout(timer);
          resolve(parseLogLines(out.slice(0, out.lastIndexOf("\n") + 1)));
        });
        void exited.then((code) => reject(new Error(`exited ${code}:\n${out}${err}`)));
      });
      const listening = ready.find((l) => l.event === "serverListening");
      assert.equal(listening?.executor, "kubernetes");
      const url = `http://127.0.0.1:${listening?.port}`;

      const run = await ottoctl(["--server", url, "run", "examples/simple.yaml"]);
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      const pipelineId = /pipeline\s+SUCCEEDED\b.*\s(\S+)$/.exec(run.stdout.trim())?.[1];
      assert.ok(pipelineId, run.stdout);
      const logs = await ottoctl(["--server", url, "logs", "--pipeline", pipelineId]);
      assert.match(logs.stdout, new RegExp(`hello from stage hello of pipeline ${pipelineId}`));

      // Its Job, in the developer's namespace, created as the developer's ServiceAccount.
      const job = kubernetesNameOf(`${pipelineId}.hello.a1.w0`);
      const [created] = await waitForAudit((events) => {
        const c = jobEvents(events, "create", ns).filter((e) => e.objectRef?.name === job);
        return c.length > 0 ? c : undefined;
      });
      assert.equal(created?.user.username, `system:serviceaccount:${ns}:ottoscaler`);
      t.diagnostic(`${job} created by ${created?.user.username} in ${ns}`);
    } finally {
      child.kill("SIGTERM");
      assert.equal(await exited, 0, err);
    }

    // The deployed controller: same pod, still ready, and no Job of its namespace was touched.
    const after = await controllerPod();
    assert.equal(after.name, deployed.name);
    assert.equal(after.restarts, deployed.restarts);
    const touched = (await readAuditEvents()).filter(
      (e) =>
        Date.parse(e.requestReceivedTimestamp) >= since &&
        (jobEvents([e], "create", controllerNamespace).length > 0 ||
          jobEvents([e], "delete", controllerNamespace).length > 0),
    );
    assert.deepEqual(touched, []);
  });
});

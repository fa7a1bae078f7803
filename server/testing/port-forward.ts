import { type ChildProcess, spawn } from "node:child_process";

/**
 * `kubectl port-forward` to one pod, on a free local port. To the pod, not the Service: a
 * Service port-forward picks a pod once and can pick one a rollout is stopping.
 */
export class PortForward implements AsyncDisposable {
  readonly url: string;
  readonly #child: ChildProcess;

  private constructor(url: string, child: ChildProcess) {
    this.url = url;
    this.#child = child;
  }

  /** `localPort` 0: any free one. */
  static async start(
    namespace: string,
    pod: string,
    port = 9090,
    localPort = 0,
  ): Promise<PortForward> {
    const child = spawn(
      "kubectl",
      [
        "port-forward",
        "-n",
        namespace,
        `pod/${pod}`,
        "--address",
        "127.0.0.1",
        `${localPort === 0 ? "" : localPort}:${port}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
    });
    try {
      const local = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`port-forward: no port in 20 s: ${err}`)),
          20_000,
        );
        child.stdout?.on("data", (c: Buffer) => {
          out += c.toString();
          const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
          if (m?.[1] !== undefined) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`port-forward exited (${code}): ${err.trim()}`));
        });
      });
      return new PortForward(`http://127.0.0.1:${local}`, child);
    } catch (error) {
      child.kill();
      throw error;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((r) => this.#child.once("exit", r));
    this.#child.kill();
    await exited;
  }
}

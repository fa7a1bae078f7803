import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

export interface BuiltImage {
  /** What containerd (and so the kubelet) knows it as: docker.io/library/ottoscaler:dev. */
  ref: string;
  /** The image's config digest, as the kubelet reports it in a container's imageID. */
  id: string;
  /** How long hack/build-image.sh took, build and import. */
  seconds: number;
  /** Its progress lines. */
  log: string;
}

/** Where hack/build-image.sh keeps its layers and docker-archive (same default). */
function imageCacheDir(): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return process.env.OTTOSCALER_IMAGE_CACHE || path.join(cache, "ottoscaler-image");
}

/**
 * Builds the controller image without Docker and imports it into the local cluster's
 * containerd, as `npm run test:k8s` users would with hack/build-image.sh.
 */
export async function buildControllerImage(): Promise<BuiltImage> {
  const started = performance.now();
  const { stdout, stderr } = await run("bash", [path.join(root, "hack/build-image.sh")], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 10 * 60_000,
  });
  const seconds = (performance.now() - started) / 1000;
  const ref = stdout.trim().split("\n").at(-1) ?? "";
  const id = (await readFile(path.join(imageCacheDir(), "ottoscaler-dev.tar.id"), "utf8")).trim();
  return { ref, id: `sha256:${id}`, seconds, log: stderr };
}

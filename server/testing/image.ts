import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Where hack/build-image.sh keeps its layers and docker-archive (same default). */
function imageCacheDir(): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return process.env.OTTOSCALER_IMAGE_CACHE || path.join(cache, "ottoscaler-image");
}

/**
 * The config digest of the image hack/build-image.sh built last, as the kubelet reports it in a
 * container's imageID.
 */
export async function builtImageId(): Promise<string> {
  const id = await readFile(path.join(imageCacheDir(), "ottoscaler-dev.tar.id"), "utf8");
  return `sha256:${id.trim()}`;
}

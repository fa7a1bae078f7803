import { createRequire } from "node:module";
import type * as ClientNode from "@kubernetes/client-node";

let loaded: typeof ClientNode | undefined;

/**
 * @kubernetes/client-node, loaded at its first use. Importing it costs ~80 MiB
 * of RSS and ~0.6 s at start, which a server on the local executor never
 * needs; Node's require of an ES module is synchronous and shares the import
 * cache, so classes are the same ones a static import sees.
 */
export function clientNode(): typeof ClientNode {
  loaded ??= createRequire(import.meta.url)("@kubernetes/client-node") as typeof ClientNode;
  return loaded;
}

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { rbeePaths } from "../config/paths.ts";
import { embeddedEngine } from "./engine-embedded.ts";
import { ensureEngineUnpacked } from "./engine-unpack.ts";

/**
 * node-llama-cpp, loaded at run time. It cannot be bundled (it reads its own package files
 * and loads a native addon from its platform package), so:
 * - from source it comes from node_modules;
 * - in the compiled binary it travels inside as an archive, unpacked on first use into
 *   `<cache>/engine/<version>-<hash>` and imported from there by absolute path.
 */
export type Engine = typeof import("node-llama-cpp");

let engine: Promise<Engine> | undefined;

/** The folder of the node-llama-cpp this process loads (unpacking the embedded one if needed). */
export async function engineBindingDir(): Promise<string> {
  if (!embeddedEngine) return dirname(createRequire(import.meta.url).resolve("node-llama-cpp/package.json"));
  const dir = await ensureEngineUnpacked(embeddedEngine, join(rbeePaths().cache, "engine"));
  return join(dir, "node_modules", "node-llama-cpp");
}

export function loadEngine(): Promise<Engine> {
  engine ??= (embeddedEngine ? engineBindingDir().then((dir) => import(join(dir, "dist", "index.js"))) : import("node-llama-cpp")).catch((err) => {
    engine = undefined;
    throw err;
  });
  return engine;
}

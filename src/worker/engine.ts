import { join } from "node:path";
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

async function fromEmbedded(): Promise<Engine> {
  const dir = await ensureEngineUnpacked(embeddedEngine!, join(rbeePaths().cache, "engine"));
  return import(join(dir, "node_modules", "node-llama-cpp", "dist", "index.js"));
}

export function loadEngine(): Promise<Engine> {
  engine ??= (embeddedEngine ? fromEmbedded() : import("node-llama-cpp")).catch((err) => {
    engine = undefined;
    throw err;
  });
  return engine;
}

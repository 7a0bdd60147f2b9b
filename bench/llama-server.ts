/**
 * llama-server, the peer rbee is measured against, built once from the llama.cpp that
 * node-llama-cpp ships (node_modules/node-llama-cpp/llama/gitRelease.bundle), so both sides
 * run the same llama.cpp commit. Cached under <cache>/bench/llama-server-<commit>.
 *
 *   bun bench/llama-server.ts      builds it (≈ 8 min on 2 cores) and prints its path
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { rbeePaths } from "../src/config/paths.ts";

const BUNDLE = resolve(import.meta.dirname, "../node_modules/node-llama-cpp/llama/gitRelease.bundle");

async function sh(cmd: string[], cwd?: string): Promise<string> {
  const proc = Bun.spawn(cmd, { cwd, stdin: "ignore", stdout: "pipe", stderr: "inherit" });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`${cmd.join(" ")} failed`);
  return out.trim();
}

/** Runs llama-server with its shared libraries (beside it) found wherever the build folder sits. */
export const llamaServerEnv = (bin: string): Record<string, string> => ({ LD_LIBRARY_PATH: [dirname(bin), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":") });

/** The path of a llama-server binary built from the bundled commit; builds it on first use. */
export async function ensureLlamaServer(log: (line: string) => void = console.error): Promise<string> {
  const commit = (await sh(["git", "bundle", "list-heads", BUNDLE])).split(/\s+/)[0]!.slice(0, 12);
  const dir = join(rbeePaths().cache, "bench", `llama-server-${commit}`);
  const bin = join(dir, "build", "bin", "llama-server");
  if (existsSync(bin)) return bin;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(dir, ".."), { recursive: true });
  log(`building llama-server ${commit} from node-llama-cpp's bundle (once; ≈ 8 min on 2 cores) …`);
  await sh(["git", "clone", "-q", BUNDLE, tmp]);
  // $ORIGIN run paths: the build is renamed into place afterwards.
  await sh(["cmake", "-B", "build", "-DGGML_NATIVE=ON", "-DLLAMA_CURL=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_BUILD_RPATH_USE_ORIGIN=ON"], tmp);
  await sh(["cmake", "--build", "build", "--target", "llama-server", `-j${navigator.hardwareConcurrency}`], tmp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return bin;
}

if (import.meta.main) console.log(await ensureLlamaServer());

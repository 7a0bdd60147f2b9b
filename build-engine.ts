/**
 * Builds the CPU engine with OpenMP for this machine: `bun run build:engine` runs this, then
 * build.ts, which packs the build beside the prebuilt engine (the fallback) into dist/rbee.
 *   bun build-engine.ts [--force]
 * node-llama-cpp's prebuilt CPU engine is built without OpenMP, and a second thread gains
 * nothing on it (DESIGN.md). This compiles the llama.cpp that node-llama-cpp ships, from its
 * own gitRelease.bundle (offline), with Debian's cmake and g++: ~5 min on 2 idle cores. The
 * build lands in node_modules/node-llama-cpp/llama/localBuilds/ under a folder of its own
 * (the OpenMP cmake option names it); only its binaries are packed, never the sources.
 * It is compiled for this CPU (GGML_NATIVE): the list of its instruction-set features goes
 * with it, and a machine lacking one uses the prebuilt engine instead.
 */
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CPU_FLAGS_FILE, cpuFlags, OPENMP_CMAKE_OPTIONS, openmpBuildDir } from "./src/engine/cpu-engine.ts";

if (process.platform !== "linux") {
  console.log("the OpenMP CPU engine is built on Linux only; rbee uses the prebuilt engine here");
  process.exit(0);
}
const binding = dirname(Bun.resolveSync("node-llama-cpp/package.json", import.meta.dir));
const force = process.argv.includes("--force");

let build = openmpBuildDir(binding);
if (build && !force) {
  console.log(`the OpenMP CPU engine is built already: ${build} (--force builds it again)`);
} else {
  const cloned = existsSync(join(binding, "llama", "llama.cpp", "CMakeLists.txt"));
  // `source download` clones llama.cpp from the bundle first; `source build` reuses the clone.
  const args = [join(binding, "dist", "cli", "cli.js"), "source", cloned ? "build" : "download", "--gpu", "false", "--noUsageExample"];
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const [key, value] of Object.entries(OPENMP_CMAKE_OPTIONS)) env[`NODE_LLAMA_CPP_CMAKE_OPTION_${key}`] = value;
  // The CLI's npm scripts (cmake-js) expect Node; Bun stands in where it is missing.
  const runtime = Bun.which("node") ?? process.execPath;
  console.log(`building the OpenMP CPU engine: ${[runtime, ...args].join(" ")}`);
  const proc = Bun.spawn([runtime, ...args], { env, stdin: "ignore", stdout: "inherit", stderr: "inherit" });
  if ((await proc.exited) !== 0) {
    console.error("the OpenMP CPU engine did not build: rbee still builds with the prebuilt CPU engine (`bun run build`)");
    process.exit(1);
  }
  build = openmpBuildDir(binding);
  if (!build) throw new Error(`the build finished but no OpenMP build is in ${join(binding, "llama", "localBuilds")}`);
}

// Written beside, then renamed: the features this build may use (see chooseCpuEngine).
const flagsPath = join(build, "Release", CPU_FLAGS_FILE);
writeFileSync(`${flagsPath}.tmp`, `${cpuFlags().join(" ")}\n`);
renameSync(`${flagsPath}.tmp`, flagsPath);
console.log(`OpenMP CPU engine: ${build}`);

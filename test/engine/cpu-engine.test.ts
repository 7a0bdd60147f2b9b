import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chooseCpuEngine, CPU_FLAGS_FILE, OPENMP_CMAKE_OPTIONS, openmpBuildDir } from "../../src/engine/cpu-engine.ts";
import { openmpBuildFiles } from "../../src/worker/engine-pack.ts";
import { defaultThreads } from "../../src/worker/model-loader.ts";

/**
 * node-llama-cpp's local builds as `bun run build:engine` leaves them: a build tree with the
 * llama.cpp sources beside it, and the binaries in Release/.
 */
describe("the OpenMP CPU engine: finding, choosing and packing it", () => {
  let binding: string;
  beforeEach(() => {
    binding = mkdtempSync(join(tmpdir(), "rbee-cpu-engine-"));
    mkdirSync(join(binding, "llama", "llama.cpp", "ggml"), { recursive: true });
    writeFileSync(join(binding, "llama", "llama.cpp", "ggml", "ggml.c"), "/* source */");
  });
  afterEach(() => rmSync(binding, { recursive: true, force: true }));

  function localBuild(name: string, customCmakeOptions: Record<string, string>, opts: { done?: boolean; flags?: string } = {}): string {
    const dir = join(binding, "llama", "localBuilds", name);
    mkdirSync(join(dir, "Release"), { recursive: true });
    mkdirSync(join(dir, "CMakeFiles", "llama-addon.dir"), { recursive: true });
    writeFileSync(join(dir, "CMakeFiles", "llama-addon.dir", "addon.cpp.o"), "object");
    writeFileSync(join(dir, "CMakeCache.txt"), "cache");
    writeFileSync(join(dir, "Release", "_nlcBuildMetadata.json"), JSON.stringify({ buildOptions: { customCmakeOptions, platform: "linux", arch: "x64", gpu: false } }));
    for (const f of ["llama-addon.node", "libggml-cpu.so", "libllama.so", "libggml-base.so.0.9.4", "llama-addon.exp"]) writeFileSync(join(dir, "Release", f), "binary");
    if (opts.flags !== undefined) writeFileSync(join(dir, "Release", CPU_FLAGS_FILE), opts.flags);
    if (opts.done !== false) writeFileSync(join(dir, "buildDone.status"), "");
    return dir;
  }

  it("given a plain local build and an unfinished OpenMP one, then there is no OpenMP build and workers use the prebuilt engine", () => {
    localBuild("linux-x64", {});
    localBuild("linux-x64-abc", OPENMP_CMAKE_OPTIONS, { done: false, flags: "avx2" });
    expect(openmpBuildDir(binding)).toBeUndefined();
    expect(chooseCpuEngine(binding, {}, ["avx2"])).toEqual({ openmp: false });
    expect(openmpBuildFiles(binding)).toEqual([]);
  });

  it("given a finished OpenMP build for this CPU, then workers ask for it unless RBEE_CPU_ENGINE=prebuilt", () => {
    const dir = localBuild("linux-x64-abc", OPENMP_CMAKE_OPTIONS, { flags: "avx2 fma\n" });
    expect(openmpBuildDir(binding)).toBe(dir);
    expect(chooseCpuEngine(binding, {}, ["sse4_2", "avx2", "fma"])).toEqual({ openmp: true });
    expect(chooseCpuEngine(binding, { RBEE_CPU_ENGINE: "prebuilt" }, ["avx2", "fma"])).toEqual({ openmp: false });
  });

  it("given an OpenMP build made for a CPU with AVX-512, on a CPU without it, then the prebuilt engine is used and the reason names the feature", () => {
    localBuild("linux-x64-abc", OPENMP_CMAKE_OPTIONS, { flags: "avx2 avx512f" });
    const choice = chooseCpuEngine(binding, {}, ["avx2", "fma"]);
    expect(choice.openmp).toBe(false);
    expect(choice.reason).toContain("avx512f");
  });

  it("when packing, then only the OpenMP build's binaries and metadata travel: no sources, no build tree, no other build", () => {
    localBuild("linux-x64", {});
    localBuild("linux-x64-abc", OPENMP_CMAKE_OPTIONS, { flags: "avx2" });
    expect(openmpBuildFiles(binding)).toEqual([
      "llama/localBuilds/linux-x64-abc/Release/_nlcBuildMetadata.json",
      "llama/localBuilds/linux-x64-abc/Release/libggml-base.so.0.9.4",
      "llama/localBuilds/linux-x64-abc/Release/libggml-cpu.so",
      "llama/localBuilds/linux-x64-abc/Release/libllama.so",
      "llama/localBuilds/linux-x64-abc/Release/llama-addon.node",
      `llama/localBuilds/linux-x64-abc/Release/${CPU_FLAGS_FILE}`,
      "llama/localBuilds/linux-x64-abc/buildDone.status",
    ]);
    // and a build for another machine is not packed into this target's engine
    expect(openmpBuildFiles(binding, { platform: "linux", arch: "arm64" })).toEqual([]);
  });
});

describe("the worker's own thread count", () => {
  const MiB = 1024 * 1024;
  it("given the 206.6M bench model on 2 cores, then both threads (the faster count there, on either engine)", () => {
    expect(defaultThreads(210 * MiB, 2)).toBe(2);
  });
  it("given a tiny model, then one thread; given more cores, then all of them", () => {
    expect(defaultThreads(10 * MiB, 8)).toBe(1);
    expect(defaultThreads(210 * MiB, 8)).toBe(8);
  });
});

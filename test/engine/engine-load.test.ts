import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { packageDir } from "../../src/engine/backends.ts";
import { explainEngineFailure, hasLibrary } from "../../src/engine/engine-load.ts";

/** An engine that does not load says what is missing, one layer at a time. */
describe("why a GPU engine does not load", () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "rbee-engine-load-"));
    env = { RBEE_HOME: home, LD_LIBRARY_PATH: join(home, "lib") };
    mkdirSync(join(home, "lib"));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));
  const lib = (name: string) => writeFileSync(join(home, "lib", name), "");
  const installed = (pkg: string) => mkdirSync(packageDir(pkg, env), { recursive: true });

  it("not installed: says how to install it", () => {
    const err = explainEngineFailure("cuda", "NoBinaryFoundError", env);
    expect(err.code).toBe("ENGINE_MISSING");
    expect(err.hint).toContain("rbee engine install cuda");
  });

  it.skipIf(process.platform !== "linux" || process.arch !== "x64")("CUDA: the driver first, then a runtime it can use (13, or 12 with the -ext build)", () => {
    installed("@node-llama-cpp/linux-x64-cuda");
    // (on a machine with the NVIDIA driver installed, the driver step cannot be shown)
    if (!hasLibrary(["libcuda.so.1"], {})) {
      const noDriver = explainEngineFailure("cuda", "NoBinaryFoundError", env);
      expect(noDriver.message).toContain("the NVIDIA driver (libcuda.so.1) is missing");
      expect(noDriver.hint).toContain("CPU workers are not affected");
    }
    lib("libcuda.so.1");
    expect(explainEngineFailure("cuda", "x", env).message).toContain("no CUDA runtime it can use: libcudart.so.13 + libcublas.so.13");
    lib("libcudart.so.12");
    lib("libcublas.so.12");
    // CUDA 12 alone needs the -ext package's build
    expect(explainEngineFailure("cuda", "x", env).message).toContain("no CUDA runtime it can use");
    installed("@node-llama-cpp/linux-x64-cuda-ext");
    // (from source the last word is where node-llama-cpp looks; compiled, the self-test)
    expect(explainEngineFailure("cuda", "x", env).message).toMatch(/rbee runs from source|the engine's self-test failed/);
  });
});

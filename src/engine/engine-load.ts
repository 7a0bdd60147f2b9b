import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Llama } from "node-llama-cpp";
import { RbeeError } from "../protocol/errors.ts";
import { embeddedEngine } from "../worker/engine-embedded.ts";
import { engineBindingDir, loadEngine } from "../worker/engine.ts";
import { chooseCpuEngine, OPENMP_CMAKE_OPTIONS, setOpenmpActiveWait, type CpuBuild } from "./cpu-engine.ts";
import { enginePackages, llamaGpuOption, packageDir, type Backend } from "./backends.ts";
import { holdAllPoolThreadsButOne } from "./one-openmp-team.ts";

/**
 * Starting llama.cpp on one backend, in the process that will use it (a worker, or the
 * short-lived `rbee engine probe`): never in a daemon, since a broken engine or driver can
 * abort the process. Failures name what is missing.
 */
export async function startLlama(backend: Backend, logger: (level: string, message: string) => void): Promise<Llama> {
  const { getLlama } = await loadEngine();
  const choice = backend === "cpu" ? chooseCpuEngine(await engineBindingDir()) : { openmp: false };
  if (choice.reason) logger("warn", `using the prebuilt CPU engine: ${choice.reason}`);
  if (choice.openmp) {
    await setOpenmpActiveWait();
    await holdAllPoolThreadsButOne();
  }
  let llama: Llama;
  try {
    // With the OpenMP option getLlama loads that local build, and the prebuilt one when it is absent or fails to load.
    llama = await getLlama({ gpu: llamaGpuOption(backend), build: "never", logger: logger as never, ...(choice.openmp ? { cmakeOptions: OPENMP_CMAKE_OPTIONS } : {}) });
  } catch (err) {
    throw explainEngineFailure(backend, err instanceof Error ? err.message : String(err));
  }
  if (backend !== "cpu" && llama.gpu !== backend) {
    throw explainEngineFailure(backend, `llama.cpp started with ${llama.gpu || "no GPU"} instead of ${backend}`);
  }
  return llama;
}

/** Which CPU engine a started llama.cpp is: the OpenMP build (a local build) or the prebuilt one. */
export const cpuBuildOf = (llama: Llama): CpuBuild => (llama.buildType === "localBuild" ? "openmp" : "prebuilt");

const LIB_DIRS = ["/usr/lib", "/usr/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/local/lib", "/usr/local/cuda/lib64", "/usr/lib/wsl/lib"];

/** Whether a shared library can be found where the dynamic loader usually looks. */
export function hasLibrary(names: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const dirs = [...(env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean), ...LIB_DIRS];
  return names.some((n) => dirs.some((d) => existsSync(join(d, n))));
}

/** Why a backend's engine does not load, in words that say what to install. */
export function explainEngineFailure(backend: Backend, detail: string, env: NodeJS.ProcessEnv = process.env): RbeeError {
  const fail = (missing: string, hint: string) =>
    new RbeeError("ENGINE_UNAVAILABLE", `the ${backend} engine cannot load: ${missing} (${detail})`, `${hint} CPU workers are not affected.`, 422);
  if (backend === "cpu") return fail("the built-in CPU engine did not start", "Reinstall rbee; the CPU engine ships inside it.");
  const packages = enginePackages(backend);
  if (!packages.length) return fail(`no prebuilt ${backend} engine exists for ${process.platform}-${process.arch}`, "Use another backend (see `rbee devices`).");
  if (!existsSync(packageDir(packages[0], env))) {
    return new RbeeError("ENGINE_MISSING", `the ${backend} engine is not installed on this hive`, `Install it: \`rbee engine install ${backend}\` (or --from FILE.tgz without internet).`, 422);
  }
  if (backend === "vulkan" && !hasLibrary(["libvulkan.so.1", "libvulkan.so"], env)) {
    return fail("the Vulkan loader libvulkan.so.1 is missing", "Install libvulkan1 and a Vulkan driver (your GPU's, or Mesa's mesa-vulkan-drivers).");
  }
  if (backend === "cuda") {
    if (!hasLibrary(["libcuda.so.1", "libcuda.so"], env)) return fail("the NVIDIA driver (libcuda.so.1) is missing", "Install the NVIDIA driver; nvidia-smi should list the GPU.");
    const cuda13 = hasLibrary(["libcudart.so.13"], env) && hasLibrary(["libcublas.so.13"], env);
    const cuda12 = hasLibrary(["libcudart.so.12"], env) && hasLibrary(["libcublas.so.12"], env) && existsSync(packageDir(packages[1], env));
    if (!cuda13 && !cuda12) {
      return fail("no CUDA runtime it can use: libcudart.so.13 + libcublas.so.13 (or .12 with the engine's -ext package) were not found", "Install the CUDA 13 runtime libraries (or CUDA 12 and `rbee engine install cuda`, which adds the CUDA 12 build); LD_LIBRARY_PATH may point at them.");
    }
  }
  if (backend === "vulkan" && /not compatible|NoBinaryFound/i.test(detail) && env.GGML_VK_VISIBLE_DEVICES !== undefined) {
    return fail(`no Vulkan device ${env.GGML_VK_VISIBLE_DEVICES} answered`, "See the devices with `rbee devices`.");
  }
  if (!embeddedEngine) {
    // From source, node-llama-cpp lives in the repository's node_modules and looks for its GPU
    // packages there, not in rbee's engine cache.
    return fail(`rbee runs from source, where node-llama-cpp looks for ${packages[0]} in the repository's node_modules`, "Use the compiled binary (`bun run build`, then dist/rbee).");
  }
  return fail("the engine's self-test failed on this machine", "Check the GPU driver; `rbee engine list` shows each engine's state.");
}

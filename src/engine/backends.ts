import { join } from "node:path";
import { rbeePaths } from "../config/paths.ts";
import { RbeeError } from "../protocol/errors.ts";

/**
 * The backends a worker can run on. CPU travels inside the binary; GPU engines are
 * node-llama-cpp's own prebuilt packages at the binding's version, installed per hive.
 */
export const BACKENDS = ["cpu", "vulkan", "cuda", "metal"] as const;
export type Backend = (typeof BACKENDS)[number];
export type GpuBackend = Exclude<Backend, "cpu">;
export const GPU_BACKENDS: readonly GpuBackend[] = ["vulkan", "cuda", "metal"];

/** What node-llama-cpp's getLlama({gpu}) calls each backend. */
/** macOS carries node-llama-cpp's Metal build only (there is no CPU-only one for Apple silicon). */
export const llamaGpuOption = (backend: Backend): false | GpuBackend => (backend !== "cpu" ? backend : process.platform === "darwin" ? "metal" : false);

/**
 * The npm packages that make up a GPU engine on this platform (first one required). Read from
 * the 3.22.1 packages: `linux-x64-cuda`'s libggml-cuda.so links the CUDA 13 runtime
 * (libcudart.so.13, libcublas.so.13) and the driver (libcuda.so.1); `-ext` adds only
 * `fallback/libggml-cuda.so`, built against CUDA 12, which node-llama-cpp loads when the first
 * does not (a machine with the CUDA 12 runtime, or a driver too old for 13). Neither bundles
 * the runtime.
 */
export function enginePackages(backend: GpuBackend, platform = process.platform, arch = process.arch): string[] {
  const os = platform === "darwin" ? "mac" : platform === "win32" ? "win" : platform;
  if (backend === "metal") return os === "mac" && arch === "arm64" ? ["@node-llama-cpp/mac-arm64-metal"] : [];
  if (arch !== "x64" || (os !== "linux" && os !== "win")) return [];
  const base = `@node-llama-cpp/${os}-x64-${backend}`;
  return backend === "cuda" ? [base, `${base}-ext`] : [base];
}

/**
 * Where GPU engines live: `<cache>/engine/node_modules/<package>`, beside the CPU engine's
 * `<cache>/engine/<version>-<hash>/`. node-llama-cpp imports its GPU package by name, and
 * Node's lookup climbs from the CPU engine's folder into this node_modules, so nothing
 * has to be linked or configured.
 */
export const engineCacheRoot = (env?: NodeJS.ProcessEnv) => join(rbeePaths(env).cache, "engine");
export const gpuModulesDir = (env?: NodeJS.ProcessEnv) => join(engineCacheRoot(env), "node_modules");
export const packageDir = (pkg: string, env?: NodeJS.ProcessEnv) => join(gpuModulesDir(env), ...pkg.split("/"));

/** A device id as users write it: `cpu:0`, `cuda:1`, `vulkan:0`, `metal:0`. */
export interface DeviceRef {
  backend: Backend;
  index: number;
}

export const DEVICE_PATTERN = /^(cpu|cuda|vulkan|metal):\d{1,2}$/;

export function parseDevice(id: string): DeviceRef {
  if (!DEVICE_PATTERN.test(id)) {
    throw new RbeeError("INVALID_DEVICE", `"${id}" is not a device id`, "Use auto, cpu:0, cuda:N, vulkan:N or metal:0 (see `rbee devices`).");
  }
  const [backend, index] = id.split(":");
  return { backend: backend as Backend, index: Number(index) };
}

/**
 * The variable that pins a worker to one device: the worker then sees it as device 0.
 * llama.cpp hides CPU-type Vulkan devices (Mesa's llvmpipe) unless they are named here.
 */
export function deviceEnv(ref: DeviceRef): Record<string, string> {
  if (ref.backend === "cuda") return { CUDA_VISIBLE_DEVICES: String(ref.index) };
  if (ref.backend === "vulkan") return { GGML_VK_VISIBLE_DEVICES: String(ref.index) };
  return {};
}

/** Software renderers that speak Vulkan: real devices, never chosen automatically. */
export const isSoftwareDeviceName = (name: string) => /llvmpipe|lavapipe|swiftshader|softpipe/i.test(name);

import { existsSync } from "node:fs";
import { arch, cpus, freemem, platform, totalmem } from "node:os";
import { execa } from "execa";
import { deviceEnv, enginePackages, isSoftwareDeviceName, packageDir, type Backend, type GpuBackend } from "./backends.ts";
import { runProbe } from "./probe-child.ts";

/** One place a worker's layers can live, as a hive reports it. */
export interface Device {
  /** `cpu:0`, `cuda:N`, `vulkan:N`, `metal:0`. */
  id: string;
  backend: Backend;
  name: string;
  memory_total_bytes?: number;
  memory_free_bytes?: number;
  /** A software renderer (Mesa's llvmpipe): listed, usable when named, never picked by `auto`. */
  software: boolean;
  /** CPU threads (cpu:0 only). */
  cores?: number;
  /** built-in (CPU), installed, or missing: a worker can run here only with its engine. */
  engine: "built-in" | "installed" | "missing";
}

/** Vulkan devices are looked up one index at a time; a home lab has a handful at most. */
const MAX_VULKAN_DEVICES = 8;

export const engineInstalled = (backend: GpuBackend) => {
  const packages = enginePackages(backend);
  return packages.length > 0 && existsSync(packageDir(packages[0]));
};
const engineState = (backend: GpuBackend) => (engineInstalled(backend) ? "installed" : "missing");

export function cpuDevice(): Device {
  return { id: "cpu:0", backend: "cpu", name: cpus()[0]?.model?.trim() || "cpu", cores: cpus().length, memory_total_bytes: totalmem(), memory_free_bytes: freemem(), software: false, engine: "built-in" };
}

/** Parses `nvidia-smi --query-gpu=index,name,memory.total,memory.free --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(csv: string, engine: Device["engine"] = "missing"): Device[] {
  const MiB = 1024 * 1024;
  return csv
    .split("\n")
    .map((line) => line.split(",").map((s) => s.trim()))
    .filter((cols) => cols.length >= 4 && /^\d+$/.test(cols[0]))
    .map(([index, name, total, free]) => ({
      id: `cuda:${index}`,
      backend: "cuda" as const,
      name,
      memory_total_bytes: Number(total) * MiB,
      memory_free_bytes: Number(free) * MiB,
      software: false,
      engine,
    }));
}

async function cudaDevices(): Promise<Device[]> {
  try {
    const { stdout } = await execa("nvidia-smi", ["--query-gpu=index,name,memory.total,memory.free", "--format=csv,noheader,nounits"], { timeout: 5_000, stdin: "ignore" });
    return parseNvidiaSmi(stdout, engineState("cuda"));
  } catch {
    return []; // no NVIDIA driver here
  }
}

/**
 * Vulkan devices, through the installed Vulkan engine: one probe per index with that index
 * pinned (llama.cpp sees a CPU-type device such as llvmpipe only when it is named), until an
 * index does not answer. Each probe reports that one device's name and memory.
 */
async function vulkanDevices(): Promise<Device[]> {
  if (!engineInstalled("vulkan")) return [];
  const found: Device[] = [];
  for (let index = 0; index < MAX_VULKAN_DEVICES; index++) {
    const report = await runProbe("vulkan", deviceEnv({ backend: "vulkan", index }));
    const dev = report.loads ? report.devices[0] : undefined;
    if (!dev) break;
    found.push({ id: `vulkan:${index}`, backend: "vulkan", name: dev.name, memory_total_bytes: dev.memory_total_bytes, memory_free_bytes: dev.memory_free_bytes, software: isSoftwareDeviceName(dev.name), engine: "installed" });
  }
  return found;
}

/** Apple silicon: one GPU sharing the machine's memory. */
function metalDevices(): Device[] {
  if (platform() !== "darwin" || arch() !== "arm64") return [];
  return [{ id: "metal:0", backend: "metal", name: "Apple GPU (Metal, unified memory)", memory_total_bytes: totalmem(), memory_free_bytes: freemem(), software: false, engine: engineState("metal") }];
}

/**
 * Every device on this machine. `engines: false` skips what needs an engine probe (Vulkan),
 * for quick answers such as the heartbeat's device list.
 */
export async function listDevices(opts: { engines?: boolean } = {}): Promise<Device[]> {
  const [cuda, vulkan] = await Promise.all([cudaDevices(), opts.engines === false ? [] : vulkanDevices()]);
  return [cpuDevice(), ...cuda, ...vulkan, ...metalDevices()];
}

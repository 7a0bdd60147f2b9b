import { cpus, freemem, platform, totalmem, arch } from "node:os";
import { execa } from "execa";

export interface Device {
  id: string;
  kind: "cpu" | "cuda" | "metal";
  name: string;
  memory_total_bytes?: number;
  memory_free_bytes?: number;
  cores?: number;
}

export interface Capabilities {
  os: string;
  arch: string;
  devices: Device[];
}

/** What this machine can run on: CPU always; NVIDIA GPUs via nvidia-smi; Metal on macOS. */
export async function detectCapabilities(): Promise<Capabilities> {
  const cpu: Device = {
    id: "cpu:0",
    kind: "cpu",
    name: cpus()[0]?.model?.trim() || "cpu",
    cores: cpus().length,
    memory_total_bytes: totalmem(),
    memory_free_bytes: freemem(),
  };
  const devices = [cpu, ...(await nvidiaGpus())];
  if (platform() === "darwin" && arch() === "arm64") devices.push({ id: "metal:0", kind: "metal", name: "Apple GPU (Metal)", memory_total_bytes: totalmem() });
  return { os: platform(), arch: arch(), devices };
}

/** Parses `nvidia-smi --query-gpu=index,name,memory.total,memory.free --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(csv: string): Device[] {
  const MiB = 1024 * 1024;
  return csv
    .split("\n")
    .map((line) => line.split(",").map((s) => s.trim()))
    .filter((cols) => cols.length >= 4 && /^\d+$/.test(cols[0]))
    .map(([index, name, total, free]) => ({
      id: `cuda:${index}`,
      kind: "cuda" as const,
      name,
      memory_total_bytes: Number(total) * MiB,
      memory_free_bytes: Number(free) * MiB,
    }));
}

async function nvidiaGpus(): Promise<Device[]> {
  try {
    const { stdout } = await execa("nvidia-smi", ["--query-gpu=index,name,memory.total,memory.free", "--format=csv,noheader,nounits"], { timeout: 5_000, stdin: "ignore" });
    return parseNvidiaSmi(stdout);
  } catch {
    return []; // no NVIDIA driver here: CPU only
  }
}

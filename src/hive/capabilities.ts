import { arch, platform } from "node:os";
import { listDevices, type Device } from "../engine/devices.ts";

export type { Device };
export { parseNvidiaSmi } from "../engine/devices.ts";

export interface Capabilities {
  os: string;
  arch: string;
  devices: Device[];
}

/**
 * What this machine can run on: CPU, NVIDIA GPUs (nvidia-smi), Metal, and Vulkan devices when
 * the Vulkan engine is installed (a short probe process per device, so callers ask once, at
 * start, or on demand: `hive status`).
 */
export async function detectCapabilities(): Promise<Capabilities> {
  return { os: platform(), arch: arch(), devices: await listDevices() };
}

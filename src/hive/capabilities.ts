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
 * What this machine can run on, quickly: CPU, NVIDIA GPUs (nvidia-smi), Metal. Vulkan devices
 * need an engine probe and come from `rbee devices` (the engine room's listDevices).
 */
export async function detectCapabilities(): Promise<Capabilities> {
  return { os: platform(), arch: arch(), devices: await listDevices({ engines: false }) };
}

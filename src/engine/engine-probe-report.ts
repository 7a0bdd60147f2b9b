import { RbeeError, type ErrorBody } from "../protocol/errors.ts";
import type { Backend } from "./backends.ts";
import type { CpuBuild } from "./cpu-engine.ts";
import { cpuBuildOf, startLlama } from "./engine-load.ts";

/** What one `rbee engine probe BACKEND` run saw: printed as one JSON line. */
export interface ProbeReport {
  backend: Backend;
  loads: boolean;
  /** CPU only: the OpenMP build (`bun run build:engine`) or node-llama-cpp's prebuilt one. */
  build?: CpuBuild;
  error?: ErrorBody["error"];
  /** Devices the engine sees (GPU backends); memory only when one device is visible. */
  devices: { name: string; memory_total_bytes?: number; memory_free_bytes?: number; unified?: boolean }[];
}

/**
 * Starts llama.cpp on `backend` in this (throwaway) process and reports what it sees.
 * The hive runs this in a child: an engine that aborts takes only the probe with it.
 */
export async function probeBackend(backend: Backend): Promise<ProbeReport> {
  try {
    const llama = await startLlama(backend, () => {});
    if (backend === "cpu") return { backend, loads: true, build: cpuBuildOf(llama), devices: [] };
    const names = await llama.getGpuDeviceNames();
    const vram = await llama.getVramState();
    const one = names.length === 1;
    return {
      backend,
      loads: true,
      devices: names.map((name) => ({ name, ...(one ? { memory_total_bytes: vram.total, memory_free_bytes: vram.free, unified: vram.unifiedSize > 0 } : {}) })),
    };
  } catch (err) {
    return { backend, loads: false, error: RbeeError.from(err).toBody().error, devices: [] };
  }
}

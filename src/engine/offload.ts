import { formatBytes } from "../model/progress.ts";

/** Where a loaded worker's layers went: reported in its ready line and in `worker get`. */
export interface Offload {
  backend: string;
  /** The device's own name (e.g. "NVIDIA GeForce RTX 3090", "llvmpipe (LLVM 15.0.6, 256 bits)"). */
  device_name?: string;
  /** Layers on the device, out of `layers_total` (0 on the CPU). */
  layers_offloaded: number;
  layers_total: number;
  /** Device memory the model and its context take (measured, else node-llama-cpp's estimate). */
  device_memory_bytes?: number;
}

export const OFFLOAD_KEYS = ["backend", "device_name", "layers_offloaded", "layers_total", "device_memory_bytes"] as const;

/** Picks the offload fields out of a worker's ready line (anything else is ignored). */
export function offloadOf(msg: Record<string, unknown>): Offload | undefined {
  if (typeof msg.backend !== "string" || typeof msg.layers_total !== "number") return undefined;
  const out: Record<string, unknown> = {};
  for (const k of OFFLOAD_KEYS) if (msg[k] !== undefined) out[k] = msg[k];
  return out as unknown as Offload;
}

/** "vulkan, llvmpipe (…), 7/7 layers offloaded, 25.3 MiB device memory". */
export function describeOffload(o: Offload): string {
  if (o.backend === "cpu") return `cpu, ${o.layers_total} layers in RAM`;
  const mem = o.device_memory_bytes !== undefined ? `, ${formatBytes(o.device_memory_bytes)} device memory` : "";
  return `${o.backend}${o.device_name ? ` (${o.device_name})` : ""}, ${o.layers_offloaded}/${o.layers_total} layers offloaded${mem}`;
}

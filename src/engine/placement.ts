import { formatBytes } from "../model/progress.ts";
import { RbeeError } from "../protocol/errors.ts";
import { parseDevice, type GpuBackend } from "./backends.ts";
import type { Device } from "./devices.ts";
import type { MemoryEstimate } from "./memory-estimate.ts";

export type GpuLayers = "auto" | "max" | number;

export interface PlacementDecision {
  device: string;
  /** Layers to offload: 0 on the CPU; "auto" lets llama.cpp fit what the device holds. */
  gpuLayers: GpuLayers;
  /** Whether the whole model fits on the device (false: partial offload, the rest in RAM). */
  whole: boolean;
  reason: string;
}

const gib = (n: number | undefined) => formatBytes(n ?? 0);
const free = (d: Device) => d.memory_free_bytes ?? 0;

/** One hive's devices, as a refusal lists them. */
export interface HiveDevices {
  hiveId: string;
  devices: Device[];
}

/**
 * PLACEMENT_NO_FIT: what the model needs and, per hive, the largest usable GPU and the RAM
 * free, largest first: "needs 7.9 GiB …; largest free: cuda:0 on gpu1 5.2 GiB, RAM on nas 3.1 GiB".
 */
export function noFit(need: MemoryEstimate, hives: HiveDevices[]): RbeeError {
  const rows = hives.flatMap(({ hiveId, devices }) => {
    const gpu = devices.filter((d) => d.backend !== "cpu" && d.engine !== "missing").sort((a, b) => free(b) - free(a))[0];
    const ram = devices.find((d) => d.backend === "cpu");
    return [...(gpu ? [{ label: `${gpu.id} on ${hiveId}`, bytes: free(gpu) }] : []), { label: `RAM on ${hiveId}`, bytes: ram ? free(ram) : 0 }];
  });
  // One hive keeps its GPU-then-RAM order; across hives the largest comes first.
  if (hives.length > 1) rows.sort((a, b) => b.bytes - a.bytes);
  const largest = rows.map((r) => `${r.label} ${gib(r.bytes)}`).join(", ");
  return new RbeeError(
    "PLACEMENT_NO_FIT",
    `needs ${gib(need.total_bytes)} (weights ${gib(need.weights_bytes)}, KV cache ${gib(need.kv_bytes)} for ${need.slots} slot(s) × ${need.context_per_slot} tokens); largest free: ${largest}`,
    "Use a smaller quantization, fewer slots (--slots) or a shorter context, or free memory on a device.",
    507,
  );
}

export const validDevices = (devices: Device[]) => devices.map((d) => `${d.id} (${d.name}${d.software ? ", software" : ""}${d.engine === "missing" ? ", engine missing" : ""})`).join(", ");

/** A GPU device whose backend has no engine on the hive: what to run, and what is there now. */
export function engineMissing(device: string, backend: GpuBackend, devices: Device[], hiveId: string): RbeeError {
  return new RbeeError(
    "ENGINE_MISSING",
    `${device}: the ${backend} engine is not installed on hive ${hiveId} (install it with \`rbee engine install ${backend} --hive ${hiveId}\`); valid devices: ${validDevices(devices)}`,
    "CPU workers run without it.",
    422,
  );
}

/**
 * Where a worker goes, before any process starts. A named device must exist and have its
 * engine; `auto` takes the GPU with the most free memory that holds the whole model, else
 * one that holds part of it (the rest in RAM), else the CPU, and never a software device.
 * When nothing holds the model the refusal gives what it needs and what each device has.
 */
export function placeWorker(requested: string, need: MemoryEstimate, devices: Device[], hiveId: string, gpuLayers?: GpuLayers): PlacementDecision {
  const ram = devices.find((d) => d.backend === "cpu")!;
  if (requested !== "auto") {
    const ref = parseDevice(requested);
    const device = devices.find((d) => d.id === requested);
    if (ref.backend !== "cpu" && devices.some((d) => d.backend === ref.backend && d.engine === "missing")) {
      throw engineMissing(requested, ref.backend as GpuBackend, devices, hiveId);
    }
    if (!device) {
      throw new RbeeError("DEVICE_NOT_FOUND", `hive ${hiveId} has no device ${requested}; valid devices: ${validDevices(devices)}`, "Pick one of them (`rbee devices` lists every hive's).", 404);
    }
    if (device.backend === "cpu") {
      if (gpuLayers !== undefined && gpuLayers !== 0 && gpuLayers !== "auto") throw new RbeeError("INVALID_GPU_LAYERS", "--gpu-layers applies to GPU devices; cpu:0 holds every layer", "Drop --gpu-layers or name a GPU device.");
      if (need.total_bytes > free(ram)) throw noFit(need, [{ hiveId, devices }]);
      return { device: requested, gpuLayers: 0, whole: true, reason: `${requested} as named (needs ${gib(need.total_bytes)}, ${gib(free(ram))} RAM free)` };
    }
    const whole = need.total_bytes <= free(device);
    if (!whole && need.total_bytes > free(device) + free(ram)) throw noFit(need, [{ hiveId, devices }]);
    const how = whole ? "the whole model fits" : "part of the model fits, the rest stays in RAM";
    return { device: requested, gpuLayers: gpuLayers ?? "auto", whole, reason: `${requested} as named: ${how} (needs ${gib(need.total_bytes)}, ${gib(free(device))} free)` };
  }
  const gpus = devices.filter((d) => d.backend !== "cpu" && !d.software && d.engine !== "missing" && d.memory_free_bytes !== undefined).sort((a, b) => free(b) - free(a));
  const skipped = devices.filter((d) => d.software).map((d) => d.id);
  const note = skipped.length ? `; ${skipped.join(", ")} skipped (software)` : "";
  const whole = gpus.find((d) => need.total_bytes <= free(d));
  if (whole) return { device: whole.id, gpuLayers: gpuLayers ?? "auto", whole: true, reason: `${whole.id} (${whole.name}): the whole model fits (needs ${gib(need.total_bytes)}, ${gib(free(whole))} free)${note}` };
  const partial = gpus.find((d) => need.total_bytes <= free(d) + free(ram) && free(d) >= need.total_bytes / 4);
  if (partial) return { device: partial.id, gpuLayers: gpuLayers ?? "auto", whole: false, reason: `${partial.id} (${partial.name}): part of the model fits (${gib(free(partial))} of ${gib(need.total_bytes)}), the rest in RAM${note}` };
  if (need.total_bytes <= free(ram)) {
    const why = gpus.length ? "no GPU holds enough of it" : "no usable GPU here";
    return { device: "cpu:0", gpuLayers: 0, whole: true, reason: `cpu:0: ${why} (needs ${gib(need.total_bytes)}, ${gib(free(ram))} RAM free)${note}` };
  }
  throw noFit(need, [{ hiveId, devices }]);
}

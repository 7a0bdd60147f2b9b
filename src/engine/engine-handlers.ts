import { isAbsolute } from "node:path";
import type { HandlerTable } from "../jobs/dispatch.ts";
import { narrate } from "../narration/narrate.ts";
import { formatBytes } from "../model/progress.ts";
import { RbeeError } from "../protocol/errors.ts";
import { audit } from "../security/audit-log.ts";
import { parseDevice } from "./backends.ts";
import { engineInstalled, listDevices, type Device } from "./devices.ts";
import { installEngine, removeEngine } from "./engine-install.ts";
import { withUploads } from "./engine-upload.ts";
import { listEngines } from "./engine-list.ts";
import { estimateModelMemory, type MemoryEstimate } from "./memory-estimate.ts";
import { contextCandidates, fitContext, type ContextWish } from "./context-choice.ts";
import { engineMissing, placeWorker, type GpuLayers, type PlacementDecision } from "./placement.ts";

/** The engine and device operations a hive runs itself. */
export function engineHandlers(hiveId: string): HandlerTable {
  return {
    engine_list: async () => {
      const rows = await listEngines();
      narrate("engine_list", `hive ${hiveId}: ${rows.map((r) => `${r.backend} ${r.installed ? (r.loads ? "loads" : "does not load") : "not installed"}`).join(", ")}`, { level: "debug" });
      return rows;
    },
    device_list: async () => {
      const devices = await listDevices();
      narrate("device_list", `hive ${hiveId}: ${devices.map((d) => `${d.id}${d.software ? " (software)" : ""}`).join(", ")}`, { level: "debug" });
      return devices;
    },
    engine_install: async (op, { signal }) => {
      if (op.from?.some((f) => !isAbsolute(f))) throw new RbeeError("INVALID_PATH", "--from paths must be absolute paths on the hive's machine", "The CLI makes them absolute; over the API give absolute paths.");
      const install = (from?: string[]) => installEngine({ backend: op.backend, from, registry: op.registry, signal });
      const packages = op.uploaded ? await withUploads(op.uploaded, install) : await install(op.from);
      audit("engine_install", { hive_id: hiveId, backend: op.backend, packages: packages.map((p) => `${p.name}@${p.version}`) });
      return { hive_id: hiveId, backend: op.backend, packages };
    },
    engine_remove: async (op) => {
      const removed = removeEngine(op.backend);
      audit("engine_remove", { hive_id: hiveId, backend: op.backend });
      return { hive_id: hiveId, backend: op.backend, removed };
    },
  };
}

/** What a hive tells the queen's placement: what the model needs here, and the devices it has now. */
export interface HiveFit {
  need: MemoryEstimate;
  devices: Device[];
}

/**
 * The model's memory estimate and this machine's devices with their free memory, probing the
 * Vulkan engine only when `device` may land there.
 */
export async function fitOnHive(modelPath: string, device: string, slots: number, contextSize?: number): Promise<HiveFit> {
  const need = await estimateModelMemory(modelPath, { slots, ...(contextSize ? { contextSize } : {}) });
  const probeVulkan = device.startsWith("vulkan:") || (device === "auto" && engineInstalled("vulkan"));
  return { need, devices: await listDevices({ engines: probeVulkan }) };
}

/**
 * Picks the device for a new worker on this hive and says why, before anything starts:
 * estimates the model's memory, lists the devices and applies placeWorker's rules.
 */
export async function placeOnHive(hiveId: string, modelPath: string, device: string, slots: number, gpuLayers?: GpuLayers, wish: ContextWish = {}, model = modelPath): Promise<PlacementDecision & { contextSize: number }> {
  const backend = device === "auto" ? "cpu" : parseDevice(device).backend;
  const { need: base, devices } = await fitOnHive(modelPath, device, slots);
  const candidates = contextCandidates(base.train_context, wish, model);
  if (backend !== "cpu" && !engineInstalled(backend)) {
    throw engineMissing(device, backend, devices, hiveId);
  }
  const { decision, need } = fitContext(base, candidates, (n) => placeWorker(device, n, devices, hiveId, gpuLayers));
  const contextSize = need.context_per_slot;
  const shortened = contextSize < base.train_context && !wish.ctx ? ` (context ${contextSize} of the model's ${base.train_context}: memory is short)` : "";
  narrate("placement", `${decision.reason}; estimate ${formatBytes(need.total_bytes)} (weights ${formatBytes(need.weights_bytes)}, KV ${formatBytes(need.kv_bytes)}, ${need.layers} layers, ${contextSize} tokens × ${slots} slot(s))${shortened}`, { device: decision.device, need_bytes: need.total_bytes, context_size: contextSize });
  return { ...decision, contextSize };
}

import type { Device } from "../../src/engine/devices.ts";
import { formatBytes } from "../../src/keeper/table.ts";
import type { ResourceTable } from "./columns.ts";

export type DeviceRow = Device & { hive_id: string };

const BAR = 8;

/** How full a device is: `[███░░░░░] 40%` of its memory in use (blank when it reports none). */
export function memoryBar(d: Device): string {
  const total = d.memory_total_bytes;
  if (!total || d.memory_free_bytes === undefined) return "";
  const used = Math.min(1, Math.max(0, 1 - d.memory_free_bytes / total));
  const filled = Math.round(used * BAR);
  return `[${"█".repeat(filled)}${"░".repeat(BAR - filled)}] ${Math.round(used * 100)}%`;
}

export const devicesTable: ResourceTable<DeviceRow> = {
  title: "Devices",
  idOf: (d) => `${d.hive_id}/${d.id}`,
  empty: "reading the hives' devices… (a Vulkan engine is probed per device)",
  columns: [
    { title: "HIVE", get: (d) => d.hive_id, priority: 1, max: 16 },
    { title: "DEVICE", get: (d) => d.id, priority: 1 },
    { title: "FREE", get: (d) => formatBytes(d.memory_free_bytes), priority: 1 },
    { title: "TOTAL", get: (d) => formatBytes(d.memory_total_bytes), priority: 2 },
    { title: "USED", get: memoryBar, priority: 2 },
    { title: "SOFTWARE", get: (d) => (d.software ? "yes" : "no"), priority: 2 },
    { title: "ENGINE", get: (d) => d.engine, priority: 2 },
    { title: "NAME", get: (d) => (d.cores ? `${d.name} (${d.cores} cores)` : d.name), priority: 3, max: 40 },
  ],
};

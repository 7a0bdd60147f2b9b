import type { HiveEntry } from "../../src/queen/hive-directory.ts";
import type { WorkerInfo } from "../../src/hive/worker-process.ts";
import { ago, type ResourceTable } from "./columns.ts";

export type HiveRow = HiveEntry & { workers: number };

export function hiveRows(hives: HiveEntry[], workers: WorkerInfo[]): HiveRow[] {
  return hives.map((h) => ({ ...h, workers: workers.filter((w) => w.hive_id === h.id && w.state !== "stopped").length }));
}

export const hivesTable: ResourceTable<HiveRow> = {
  title: "Hives",
  idOf: (h) => h.id,
  empty: "no hives (install one with `rbee hive install --host ALIAS`)",
  columns: [
    { title: "HIVE", get: (h) => h.id, priority: 1, max: 24 },
    { title: "STATE", get: (h) => h.state, priority: 1 },
    { title: "WORKERS", get: (h) => String(h.workers), priority: 2 },
    { title: "DEVICES", get: (h) => (h.devices ?? []).join(" "), priority: 3, max: 32 },
    { title: "LAST SEEN", get: (h, now) => (h.embedded ? "embedded" : h.last_seen ? `${ago(h.last_seen, now)} ago` : ""), priority: 3 },
    { title: "URL", get: (h) => (h.embedded ? "(in the queen)" : (h.url ?? "")), priority: 4, max: 40 },
  ],
};

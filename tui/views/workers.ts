import type { WorkerInfo } from "../../src/hive/worker-process.ts";
import { formatBytes } from "../../src/keeper/table.ts";
import type { ResourceTable } from "./columns.ts";
import { idleCell } from "../../src/keeper/worker-idle.ts";

export const workersTable: ResourceTable<WorkerInfo> = {
  title: "Workers",
  idOf: (w) => `${w.hive_id}/${w.worker_id}`,
  empty: "no workers (press s to spawn one, or i to infer: a worker starts on demand)",
  columns: [
    { title: "WORKER", get: (w) => w.worker_id, priority: 1, max: 20 },
    { title: "MODEL", get: (w) => w.model, priority: 1, max: 24 },
    { title: "STATE", get: (w) => w.state, priority: 1 },
    { title: "SLOTS", get: (w) => `${w.busy}/${w.slots}`, priority: 2 },
    { title: "IDLE", get: idleCell, priority: 3, max: 22 },
    { title: "HIVE", get: (w) => w.hive_id, priority: 3, max: 16 },
    { title: "DEVICE", get: (w) => w.device, priority: 4 },
    { title: "LAYERS", get: (w) => (w.layers_total !== undefined ? `${w.layers_offloaded}/${w.layers_total}` : ""), priority: 5 },
    { title: "RSS", get: (w) => formatBytes(w.rss_bytes), priority: 5 },
    { title: "UPTIME", get: (w) => (w.uptime_s !== undefined ? `${w.uptime_s}s` : ""), priority: 6 },
    { title: "PID", get: (w) => String(w.pid ?? ""), priority: 7 },
    { title: "PORT", get: (w) => String(w.port ?? ""), priority: 7 },
    { title: "RESTARTS", get: (w) => String(w.restarts), priority: 8 },
  ],
};

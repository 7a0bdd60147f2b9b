import { formatBytes } from "../../src/keeper/table.ts";
import type { ModelRow } from "../store.ts";
import type { ResourceTable } from "./columns.ts";

export function formatParams(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}K` : String(n);
}

export const modelsTable: ResourceTable<ModelRow> = {
  title: "Models",
  idOf: (m) => `${m.hive_id}/${m.id}`,
  empty: "no models (press d to download one; demo:tiny works offline)",
  columns: [
    { title: "MODEL", get: (m) => m.id, priority: 1, max: 32 },
    { title: "HIVE", get: (m) => m.hive_id, priority: 2, max: 16 },
    { title: "SIZE", get: (m) => formatBytes(m.size_bytes), priority: 2 },
    { title: "PARAMS", get: (m) => formatParams(m.parameters), priority: 3 },
    { title: "ARCH", get: (m) => m.architecture, priority: 4 },
    { title: "QUANT", get: (m) => m.quantization, priority: 5 },
    { title: "CONTEXT", get: (m) => String(m.context_length ?? ""), priority: 6 },
    { title: "SOURCE", get: (m) => m.source, priority: 7, max: 40 },
  ],
};

import type { WorkerInfo } from "../hive/worker-process.ts";

/** "45s", "12m", "3h": a span of seconds, short enough for a table cell. */
export function formatSpan(s: number): string {
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
}

/** How long a worker has been idle ("" while it serves a request). */
export const idleOf = (w: WorkerInfo): string => (w.idle_s !== undefined ? formatSpan(w.idle_s) : "");

/** When a worker unloads: "in 3s"; "never" (no keep-alive); "" while busy (its clock stops). */
export function unloadsOf(w: WorkerInfo): string {
  if (w.unload_in_s !== undefined) return `in ${formatSpan(w.unload_in_s)}`;
  if (w.keep_alive_s === -1 || w.keep_alive_s === undefined) return w.state === "ready" ? "never" : "";
  return w.busy > 0 ? `${formatSpan(w.keep_alive_s)} after idle` : "";
}

/** Both in one cell, for the dashboard's narrow tables: "12s, unloads in 3s", "2m, stays". */
export function idleCell(w: WorkerInfo): string {
  if (w.idle_s === undefined) return "";
  return `${formatSpan(w.idle_s)}, ${w.unload_in_s !== undefined ? `unloads in ${formatSpan(w.unload_in_s)}` : "stays"}`;
}

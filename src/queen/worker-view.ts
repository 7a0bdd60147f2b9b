import { z } from "zod";
import type { HiveDirectory, HiveEntry } from "./hive-directory.ts";

/** What the scheduler needs to know about one worker, wherever it runs. */
export interface WorkerSlots {
  hive_id: string;
  worker_id: string;
  model: string;
  state: string;
  slots: number;
  /** Busy slots as the hive reported them (live for the embedded hive, ≤ 1 s old otherwise). */
  busy: number;
  /** True when `busy` is live (the embedded hive's pool), not a heartbeat's snapshot. */
  live: boolean;
  /** Tokens per slot, when the hive says (older hives do not). */
  context_size?: number;
  /** Seconds until its keep-alive unloads it (idle workers that have one). */
  unload_in_s?: number;
}

/** A worker in a heartbeat; anything else a hive sends is ignored. */
const TelemetryWorker = z.object({
  worker_id: z.string(),
  model: z.string(),
  state: z.string(),
  slots: z.number().int().nonnegative(),
  busy: z.number().int().nonnegative().default(0),
  context_size: z.number().int().positive().optional(),
  unload_in_s: z.number().nonnegative().optional(),
});

/** Anything with a live worker list: the embedded hive's WorkerPool. */
export interface LiveWorkers {
  slots(): { worker_id: string; model: string; state: string; slots: number; busy: number; context_size?: number; unload_in_s?: number }[];
}

/**
 * The workers of every online hive: the embedded hive's from its pool (live), remote hives'
 * from their last heartbeat. A hive that never sent telemetry has `undefined` here: the
 * queen cannot see its workers and lets that hive choose itself.
 */
export function workersOf(hive: HiveEntry, live?: LiveWorkers): WorkerSlots[] | undefined {
  if (live) return live.slots().map((w) => ({ ...w, hive_id: hive.id, live: true }));
  const workers = (hive.telemetry as { workers?: unknown } | undefined)?.workers;
  if (!Array.isArray(workers)) return undefined;
  const out: WorkerSlots[] = [];
  for (const raw of workers) {
    const parsed = TelemetryWorker.safeParse(raw);
    if (parsed.success) out.push({ ...parsed.data, hive_id: hive.id, live: false });
  }
  return out;
}

/** Every worker on every online hive the queen can see into. */
export function onlineWorkers(hives: HiveDirectory, live: ReadonlyMap<string, LiveWorkers>): WorkerSlots[] {
  return hives
    .list()
    .filter((h) => h.state === "online")
    .flatMap((h) => workersOf(h, live.get(h.id)) ?? []);
}

/** States in which a worker will (again) take requests: waiting for it makes sense. */
export const COMING_STATES: ReadonlySet<string> = new Set(["starting", "loading", "ready", "restarting"]);

export const slotKey = (hiveId: string, workerId: string) => `${hiveId}/${workerId}`;

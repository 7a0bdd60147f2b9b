import { formatBytes } from "../model/progress.ts";
import { RbeeError } from "../protocol/errors.ts";
import { placeWorker } from "../engine/placement.ts";
import type { Device } from "../engine/devices.ts";
import type { MemoryEstimate } from "../engine/memory-estimate.ts";

/** A loaded worker as eviction sees it. */
export interface RoomWorker {
  workerId: string;
  model: string;
  /** Started for a request: only these are ever evicted. */
  onDemand: boolean;
  /** Serving a request, loading, or just started for one: never evicted, but may free up. */
  busy: boolean;
  lastUsedAt: number;
  device: string;
  /** What it was estimated to need: what evicting it frees on its device. */
  bytes: number;
}

export interface RoomAsk {
  model: string;
  need: MemoryEstimate;
  /** The device asked for ("auto", "cpu:0", …), as placement takes it. */
  device: string;
  devices: Device[];
  hiveId: string;
  maxLoaded?: number;
  workers: RoomWorker[];
}

export type RoomPlan =
  /** Evict these (least recently used first; maybe none), then spawn. */
  | { kind: "evict"; evict: { worker: RoomWorker; why: string }[] }
  /** Only busy on-demand workers stand in the way: wait until one is idle, then plan again. */
  | { kind: "wait"; why: string }
  /** Nothing that may be evicted makes room: fail with this. */
  | { kind: "refuse"; error: RbeeError };

/**
 * Whether a new worker for `ask.model` can start, and which idle on-demand workers go first:
 * the `--max-loaded` cap, then memory, with the estimate and the placement rules of the spawn
 * itself. Idle on-demand workers go least recently used first, and only as many as needed;
 * a busy worker is never evicted (the answer is to wait for it); workers spawned by hand stay.
 * When even evicting every on-demand worker would not make the model fit, nothing is evicted
 * and the refusal gives placement's numbers.
 */
export function planRoom(ask: RoomAsk): RoomPlan {
  const idle = ask.workers.filter((w) => w.onDemand && !w.busy).sort((a, b) => a.lastUsedAt - b.lastUsedAt);
  const busy = ask.workers.filter((w) => w.onDemand && w.busy);
  const overCap = ask.maxLoaded !== undefined ? Math.max(0, ask.workers.length - ask.maxLoaded + 1) : 0;
  if (overCap > idle.length) {
    if (overCap <= idle.length + busy.length) return { kind: "wait", why: `${ask.workers.length} worker(s) loaded (max-loaded ${ask.maxLoaded}) and every on-demand one is busy` };
    const byHand = ask.workers.length - idle.length - busy.length;
    return {
      kind: "refuse",
      error: new RbeeError("MAX_LOADED", `hive ${ask.hiveId} has ${ask.workers.length} worker(s) loaded (max-loaded ${ask.maxLoaded}), ${byHand} of them spawned by hand: none may be unloaded for ${ask.model}`, "Stop one with `rbee worker stop`, or raise --max-loaded.", 507),
    };
  }
  const evict = idle.slice(0, overCap).map((worker) => ({ worker, why: `max-loaded ${ask.maxLoaded}` }));
  if (fits(ask, evict.map((e) => e.worker))) return { kind: "evict", evict };
  const need = `needs ${formatBytes(ask.need.total_bytes)}`;
  for (const worker of idle.slice(overCap)) {
    evict.push({ worker, why: `${ask.model} ${need}` });
    if (fits(ask, evict.map((e) => e.worker))) return { kind: "evict", evict };
  }
  if (busy.length && fits(ask, [...idle, ...busy])) return { kind: "wait", why: `${ask.model} ${need}; only busy workers could make room` };
  try {
    placeWorker(ask.device, ask.need, ask.devices, ask.hiveId);
  } catch (err) {
    return { kind: "refuse", error: RbeeError.from(err) };
  }
  return { kind: "evict", evict: [] };
}

/** Whether placement succeeds once `gone` are unloaded (their estimate freed on their devices). */
function fits(ask: RoomAsk, gone: RoomWorker[]): boolean {
  const devices = ask.devices.map((d) => {
    const freed = gone.filter((w) => w.device === d.id).reduce((sum, w) => sum + w.bytes, 0);
    return freed && d.memory_free_bytes !== undefined ? { ...d, memory_free_bytes: d.memory_free_bytes + freed } : d;
  });
  try {
    placeWorker(ask.device, ask.need, devices, ask.hiveId);
    return true;
  } catch (err) {
    if (err instanceof RbeeError && err.code === "PLACEMENT_NO_FIT") return false;
    throw err;
  }
}

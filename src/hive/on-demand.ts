import { placeOnHive } from "../engine/engine-handlers.ts";
import type { ContextWish } from "../engine/context-choice.ts";
import { engineInstalled, listDevices } from "../engine/devices.ts";
import { estimateModelMemory, type MemoryEstimate } from "../engine/memory-estimate.ts";
import type { GpuLayers } from "../engine/placement.ts";
import { narrate } from "../narration/narrate.ts";
import { parseKeepAlive } from "../config/timeouts.ts";
import { planRoom, type RoomWorker } from "./make-room.ts";
import { formatIdle, type WorkerPool } from "./worker-pool.ts";
import type { RestartMode } from "./restart-policy.ts";
import type { WorkerProcess } from "./worker-process.ts";

export interface OnDemandSpawn {
  modelId: string;
  modelPath: string;
  device: string;
  slots: number;
  gpuLayers?: GpuLayers;
  restart?: RestartMode;
  /** Context asked for (ctx) and the least a request needs (min): placement picks the size. */
  wish?: ContextWish;
  chatTemplate?: string;
  /** The request's or the model's keep-alive; unset: the pool's (`--keep-alive`). */
  keepAlive?: string | number;
}

/** While busy workers stand in the way, look again this often (a reservation may also run out). */
const RECHECK_MS = 1_000;

/**
 * Starts a worker for a request: one spawn at a time per hive; first makes room (the
 * `--max-loaded` cap, then the device's free memory against the same estimate placement
 * uses), evicting idle on-demand workers least recently used first, each narrated in the
 * request's job; waits while only busy workers could make room; then places and spawns.
 */
export function spawnOnDemand(pool: WorkerPool, req: OnDemandSpawn, signal: AbortSignal): Promise<WorkerProcess> {
  return pool.exclusive(() => startWorker(pool, req, signal));
}

/**
 * For a request on the hive itself: a worker for the model that became ready while this one
 * waited its turn (another request started it) serves, else a new one starts. Either way the
 * request has begun on it (under the lock, so no eviction can take it first).
 */
export function workerForRequest(pool: WorkerPool, req: OnDemandSpawn, signal: AbortSignal): Promise<WorkerProcess> {
  return pool.exclusive(async () => {
    const worker = await startWorker(pool, req, signal, () => pool.pickReady(req.modelId));
    pool.begin(worker);
    return worker;
  });
}

/** `reuse`: a ready worker that would serve as well, looked for again whenever the room is rechecked. */
async function startWorker(pool: WorkerPool, req: OnDemandSpawn, signal: AbortSignal, reuse: () => WorkerProcess | undefined = () => undefined): Promise<WorkerProcess> {
  const ready = reuse();
  if (ready) return ready;
  // Room is made for the context asked for (else the default estimate); placement may then choose a longer one if it fits.
  const asked = req.wish?.ctx ?? req.wish?.min;
  const need = await estimateModelMemory(req.modelPath, { slots: req.slots, ...(asked ? { contextSize: asked } : {}) });
  const reused = await makeRoom(pool, req.modelId, req.device, need, signal, reuse);
  if (reused) return reused;
  const placed = await placeOnHive(pool.hiveId, req.modelPath, req.device, req.slots, req.gpuLayers, req.wish ?? {}, req.modelId);
  const keepAliveMs = req.keepAlive === undefined ? pool.keepAliveMs : parseKeepAlive(req.keepAlive);
  return pool.spawn({
    modelId: req.modelId,
    modelPath: req.modelPath,
    device: placed.device,
    gpuLayers: placed.gpuLayers,
    slots: req.slots,
    restart: req.restart,
    contextSize: placed.contextSize,
    ...(req.chatTemplate ? { chatTemplate: req.chatTemplate } : {}),
    keepAliveMs,
    onDemand: true,
    memoryBytes: need.total_bytes,
  });
}

/** Evicts what must go for `model` to start; returns a worker to use instead when `reuse` finds one. */
async function makeRoom(pool: WorkerPool, model: string, device: string, need: MemoryEstimate, signal: AbortSignal, reuse: () => WorkerProcess | undefined): Promise<WorkerProcess | undefined> {
  let waiting: string | undefined;
  for (;;) {
    const ready = reuse();
    if (ready) return ready;
    const loaded = pool.loaded();
    // Nothing evictable and no cap reached: placement alone decides (and refuses with its numbers).
    const capped = pool.maxLoaded !== undefined && loaded.length >= pool.maxLoaded;
    if (!capped && !loaded.some((w) => w.spec.onDemand)) return undefined;
    const probeVulkan = device.startsWith("vulkan:") || (device === "auto" && engineInstalled("vulkan"));
    const devices = await listDevices({ engines: probeVulkan });
    const workers = loaded.map((w) => roomView(pool, w));
    const plan = planRoom({ model, need, device, devices, hiveId: pool.hiveId, maxLoaded: pool.maxLoaded, workers });
    if (plan.kind === "refuse") throw plan.error;
    if (plan.kind === "wait") {
      if (waiting !== plan.why) narrate("room_wait", `waiting to make room for ${model}: ${plan.why}`, { model });
      waiting = plan.why;
      await pool.waitForChange(signal, RECHECK_MS);
      continue;
    }
    let all = true;
    for (const { worker, why } of plan.evict) {
      const w = loaded.find((l) => l.spec.workerId === worker.workerId)!;
      const story = `unloading ${w.spec.modelId} (idle ${formatIdle(Date.now() - w.lastUsedAt)}) to make room for ${model} (${why})`;
      // A request may have taken it meanwhile: then plan again.
      all = (await pool.unload(w, story)) && all;
    }
    if (all) return undefined;
  }
}

function roomView(pool: WorkerPool, w: WorkerProcess): RoomWorker {
  return {
    workerId: w.spec.workerId,
    model: w.spec.modelId,
    onDemand: w.spec.onDemand === true,
    busy: w.busy > 0 || w.state !== "ready" || pool.isReserved(w),
    lastUsedAt: w.lastUsedAt,
    device: w.spec.device,
    bytes: w.spec.memoryBytes ?? 0,
  };
}

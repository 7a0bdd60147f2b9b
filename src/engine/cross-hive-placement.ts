import { RbeeError } from "../protocol/errors.ts";
import type { Device } from "./devices.ts";
import type { MemoryEstimate } from "./memory-estimate.ts";
import { noFit, placeWorker, type PlacementDecision } from "./placement.ts";

/** A hive that has the model, as the queen sees it when a worker must start somewhere. */
export interface HiveCandidate {
  hiveId: string;
  /** The model's estimate on that hive (its own copy of the file). */
  need: MemoryEstimate;
  devices: Device[];
  /** Workers it runs or is starting. */
  workers: number;
  embedded: boolean;
}

export interface HiveChoice {
  hiveId: string;
  decision: PlacementDecision;
  /** One line: which hive and device, and why this one over the others. */
  reason: string;
}

/** 0: a GPU holds the whole model; 1: part of it (the rest in RAM); 2: the CPU. */
const tier = (d: PlacementDecision) => (d.device.startsWith("cpu:") ? 2 : d.whole ? 0 : 1);
const TIER_NAME = ["the whole model on a GPU", "part of the model on a GPU", "the CPU"];
const freeOn = (c: HiveCandidate, device: string) => c.devices.find((d) => d.id === device)?.memory_free_bytes ?? 0;

/**
 * Picks the hive and device for a new worker across hives, by free memory: a hive whose GPU
 * holds the whole model first, else one whose GPU holds part of it, else one whose RAM holds
 * it; never a software device (placeWorker's rules on each hive). Within a tier the hive with
 * the fewest workers, then the most free memory on the device, then the embedded one.
 * When no hive can hold the model: PLACEMENT_NO_FIT with the largest free memory per device
 * across all of them.
 */
export function placeAcrossHives(requested: string, candidates: HiveCandidate[]): HiveChoice {
  const placed: { c: HiveCandidate; d: PlacementDecision }[] = [];
  const refusals: RbeeError[] = [];
  for (const c of candidates) {
    try {
      placed.push({ c, d: placeWorker(requested, c.need, c.devices, c.hiveId) });
    } catch (err) {
      if (!(err instanceof RbeeError)) throw err;
      refusals.push(err);
    }
  }
  if (!placed.length) {
    if (refusals.every((e) => e.code === "PLACEMENT_NO_FIT")) throw noFit(candidates[0].need, candidates.map((c) => ({ hiveId: c.hiveId, devices: c.devices })));
    const [first] = refusals;
    if (refusals.length === 1) throw first;
    throw new RbeeError(first.code, refusals.map((e) => e.message).join("; "), first.hint, first.status);
  }
  placed.sort(
    (a, b) =>
      tier(a.d) - tier(b.d) ||
      a.c.workers - b.c.workers ||
      freeOn(b.c, b.d.device) - freeOn(a.c, a.d.device) ||
      Number(b.c.embedded) - Number(a.c.embedded) ||
      a.c.hiveId.localeCompare(b.c.hiveId),
  );
  const [best, ...rest] = placed;
  const others = [
    ...rest.map(({ c, d }) => `${c.hiveId} → ${d.device} (${TIER_NAME[tier(d)]}, ${c.workers} worker(s))`),
    ...candidates.filter((c) => !placed.some((p) => p.c === c)).map((c) => `${c.hiveId} → cannot hold it`),
  ];
  const reason = `hive ${best.c.hiveId}, ${best.d.reason}; it runs ${best.c.workers} worker(s)${others.length ? `; other hives with the model: ${others.join(", ")}` : ""}`;
  return { hiveId: best.c.hiveId, decision: best.d, reason };
}

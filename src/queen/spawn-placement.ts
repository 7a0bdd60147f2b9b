import { placeAcrossHives, type HiveCandidate } from "../engine/cross-hive-placement.ts";
import type { HiveFit } from "../engine/engine-handlers.ts";
import type { Job } from "../jobs/job.ts";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import type { HiveDirectory, HiveEntry } from "./hive-directory.ts";
import { COMING_STATES, type WorkerSlots } from "./worker-view.ts";

/** Asking a hive means estimating from the GGUF header and listing devices (a Vulkan probe each). */
const LOOKUP_TIMEOUT_MS = 20_000;

export interface Placement {
  hiveId: string;
  /** The device placement chose there; absent when the hive is blind (it chooses itself). */
  device?: string;
  /** The hive sends no worker telemetry: it must choose (or start) the worker itself. */
  blind: boolean;
}

/** What the worker to start will be: the device asked for (`auto` mostly), its slots and context. */
export interface SpawnWish {
  device: string;
  slots: number;
  ctx?: number;
}

type FitAnswer = { has_model: false } | ({ has_model: true } & HiveFit);

/**
 * Where to start a worker for `model`: every online hive (or the one asked for) is asked with
 * `model_fit` what the model needs there and what its devices have free; among those that
 * have the model, placeAcrossHives picks a GPU that holds it whole, else part of it, else RAM,
 * across hives. Narrates which hive and device and why. No hive has the model: MODEL_NOT_FOUND
 * with how to get it; none can hold it: PLACEMENT_NO_FIT with every hive's numbers, before
 * anything spawns.
 */
export async function choosePlacement(
  hives: HiveDirectory,
  model: string,
  hiveFilter: string | undefined,
  workers: readonly WorkerSlots[],
  job: Job,
  signal: AbortSignal,
  wish: SpawnWish,
): Promise<Placement> {
  const online = hives.list().filter((h) => h.state === "online" && (!hiveFilter || h.id === hiveFilter));
  const lookupSignal = AbortSignal.any([signal, AbortSignal.timeout(LOOKUP_TIMEOUT_MS)]);
  const unreachable: string[] = [];
  const answers = await Promise.all(
    online.map(async (h): Promise<[HiveEntry, FitAnswer] | undefined> => {
      try {
        const op = { operation: "model_fit" as const, hive_id: h.id, model, device: wish.device, slots: wish.slots, ...(wish.ctx ? { ctx: wish.ctx } : {}) };
        return [h, (await hives.run(h.id, op, { signal: lookupSignal, job })) as FitAnswer];
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        unreachable.push(h.id);
        narrate("model_lookup_failed", `could not ask hive ${h.id} about ${model}: ${(err as Error).message}`, { level: "warn", hive_id: h.id });
        return undefined;
      }
    }),
  );
  const holders = answers.filter((a) => a !== undefined && a[1].has_model) as [HiveEntry, { has_model: true } & HiveFit][];
  if (!holders.length) {
    const where = hiveFilter ? `hive ${hiveFilter}` : `any online hive (${online.map((h) => h.id).join(", ") || "none online"})`;
    const unknown = unreachable.length ? `; could not ask ${unreachable.join(", ")}` : "";
    throw new RbeeError(
      "MODEL_NOT_FOUND",
      `the model ${model} is not on ${where}${unknown}`,
      `Download it first: \`rbee model download SOURCE${hiveFilter ? ` --hive ${hiveFilter}` : ""}\` (e.g. hf:ORG/REPO; \`rbee model create-demo\` makes demo-tiny), then check \`rbee model list\`.`,
      404,
    );
  }
  const running = (hiveId: string) => workers.filter((w) => w.hive_id === hiveId && COMING_STATES.has(w.state)).length;
  const candidates: HiveCandidate[] = holders.map(([h, fit]) => ({ hiveId: h.id, need: fit.need, devices: fit.devices, workers: running(h.id), embedded: h.embedded }));
  const choice = placeAcrossHives(wish.device, candidates);
  const chosen = holders.find(([h]) => h.id === choice.hiveId)![0];
  if (!chosen.embedded && chosen.telemetry === undefined) {
    narrate("placement", `no worker seen for ${model}: handing it to hive ${chosen.id} (it has the model and sends no worker telemetry, so it picks the worker)`, { hive_id: chosen.id, model });
    return { hiveId: chosen.id, blind: true };
  }
  narrate("placement", `starting a worker for ${model} on ${choice.reason}`, { hive_id: chosen.id, model, device: choice.decision.device, need_bytes: candidates[0].need.total_bytes });
  return { hiveId: chosen.id, device: choice.decision.device, blind: false };
}

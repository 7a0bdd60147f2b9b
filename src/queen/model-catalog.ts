import { Job } from "../jobs/job.ts";
import { narrate } from "../narration/narrate.ts";
import type { HiveDirectory } from "./hive-directory.ts";
import type { ModelRecord } from "../model/model-record.ts";
import { readModelConfig } from "../config/model-config.ts";

export interface OpenAiModel {
  id: string;
  object: "model";
  created: number;
  owned_by: "rbee";
}

/** A hive's catalog entry (ModelRecord); older hives may leave fields out. */
export type HiveModel = Partial<ModelRecord> & { id: string; /** Set on an alias's entry: the model id it stands for. */ alias_of?: string };

const LIST_TIMEOUT_MS = 5_000;

/**
 * The models of every online hive, as OpenAI lists them: each id once, `created` from the
 * earliest hive that added it. Hives are asked with `model_list` through the directory (in
 * process for the embedded one, forwarded otherwise); a hive that does not answer is left
 * out of the list rather than failing it. Not a queen job: clients poll this list often.
 */
export async function listModels(hives: HiveDirectory, signal?: AbortSignal): Promise<OpenAiModel[]> {
  return withAliases(await listModelRecords(hives, signal)).map((m) => ({ id: m.id, object: "model", created: Math.floor((Date.parse(m.added_at ?? "") || 0) / 1000), owned_by: "rbee" }));
}

/** Each model of every online hive once (the earliest added), sorted by id; for every API room. */
export async function listModelRecords(hives: HiveDirectory, signal?: AbortSignal): Promise<HiveModel[]> {
  const online = hives.list().filter((h) => h.state === "online");
  const lookup = AbortSignal.any([AbortSignal.timeout(LIST_TIMEOUT_MS), ...(signal ? [signal] : [])]);
  const lists = await Promise.all(
    online.map(async (h) => {
      const op = { operation: "model_list" as const, hive_id: h.id };
      try {
        // The directory's executors want a job; this read-only lookup gets one no registry lists.
        return (await hives.run(h.id, op, { signal: lookup, job: new Job(`models-${h.id}`, op, `models-${h.id}`, 1) })) as HiveModel[];
      } catch (err) {
        narrate("model_list_failed", `GET /v1/models: hive ${h.id} did not list its models: ${(err as Error).message}`, { level: "warn" });
        return [];
      }
    }),
  );
  const byId = new Map<string, HiveModel>();
  const addedAt = (m: HiveModel) => Date.parse(m.added_at ?? "") || Infinity;
  for (const m of lists.flat()) {
    const known = byId.get(m.id);
    if (!known || addedAt(m) < addedAt(known)) byId.set(m.id, m);
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * The list with each alias (models.json) whose model is in it, as an entry of its own named
 * by the alias: clients pick models from these lists, so an alias must show there to be used.
 */
export function withAliases(records: HiveModel[]): HiveModel[] {
  const byId = new Map(records.map((m) => [m.id, m]));
  const aliases = Object.entries(readModelConfig().aliases ?? {}).flatMap(([alias, id]) => {
    const target = byId.get(id);
    return target && !byId.has(alias) ? [{ ...target, id: alias, alias_of: id }] : [];
  });
  return [...records, ...aliases].sort((a, b) => a.id.localeCompare(b.id));
}

import { Job } from "../../jobs/job.ts";
import { narrate } from "../../narration/narrate.ts";
import type { HiveDirectory } from "../hive-directory.ts";

export interface OpenAiModel {
  id: string;
  object: "model";
  created: number;
  owned_by: "rbee";
}

const LIST_TIMEOUT_MS = 5_000;

/**
 * The models of every online hive, as OpenAI lists them: each id once, `created` from the
 * earliest hive that added it. Hives are asked with `model_list` through the directory (in
 * process for the embedded one, forwarded otherwise); a hive that does not answer is left
 * out of the list rather than failing it. Not a queen job: clients poll this list often.
 */
export async function listModels(hives: HiveDirectory, signal?: AbortSignal): Promise<OpenAiModel[]> {
  const online = hives.list().filter((h) => h.state === "online");
  const lookup = AbortSignal.any([AbortSignal.timeout(LIST_TIMEOUT_MS), ...(signal ? [signal] : [])]);
  const lists = await Promise.all(
    online.map(async (h) => {
      const op = { operation: "model_list" as const, hive_id: h.id };
      try {
        // The directory's executors want a job; this read-only lookup gets one no registry lists.
        return (await hives.run(h.id, op, { signal: lookup, job: new Job(`models-${h.id}`, op, `models-${h.id}`, 1) })) as { id: string; added_at?: string }[];
      } catch (err) {
        narrate("model_list_failed", `GET /v1/models: hive ${h.id} did not list its models: ${(err as Error).message}`, { level: "warn" });
        return [];
      }
    }),
  );
  const byId = new Map<string, OpenAiModel>();
  for (const m of lists.flat()) {
    const created = Math.floor((Date.parse(m.added_at ?? "") || 0) / 1000);
    const known = byId.get(m.id);
    if (!known) byId.set(m.id, { id: m.id, object: "model", created, owned_by: "rbee" });
    else if (created && (!known.created || created < known.created)) known.created = created;
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

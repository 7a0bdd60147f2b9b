import type { Job } from "../jobs/job.ts";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import type { HiveDirectory } from "./hive-directory.ts";
import { COMING_STATES, type WorkerSlots } from "./worker-view.ts";

const LOOKUP_TIMEOUT_MS = 5_000;

export interface Placement {
  hiveId: string;
  /** The hive sends no worker telemetry: it must choose (or start) the worker itself. */
  blind: boolean;
}

/**
 * Where to start a worker for `model`: an online hive that has the model (asked with
 * `model_list` through the directory, so remote hives answer over their job API), the one
 * running the fewest workers, the embedded hive first on a tie. Narrates which hive and why.
 * No hive has it: MODEL_NOT_FOUND with how to get it.
 */
export async function choosePlacement(
  hives: HiveDirectory,
  model: string,
  hiveFilter: string | undefined,
  workers: readonly WorkerSlots[],
  job: Job,
  signal: AbortSignal,
): Promise<Placement> {
  const online = hives.list().filter((h) => h.state === "online" && (!hiveFilter || h.id === hiveFilter));
  const lookupSignal = AbortSignal.any([signal, AbortSignal.timeout(LOOKUP_TIMEOUT_MS)]);
  const unreachable: string[] = [];
  const holders = (
    await Promise.all(
      online.map(async (h) => {
        try {
          const list = (await hives.run(h.id, { operation: "model_list", hive_id: h.id }, { signal: lookupSignal, job })) as { id: string }[];
          return list.some((m) => m.id === model) ? h : undefined;
        } catch (err) {
          if (signal.aborted) throw signal.reason;
          unreachable.push(h.id);
          narrate("model_lookup_failed", `could not list the models of hive ${h.id}: ${(err as Error).message}`, { level: "warn", hive_id: h.id });
          return undefined;
        }
      }),
    )
  ).filter((h) => h !== undefined);
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
  const ranked = holders.sort((a, b) => running(a.id) - running(b.id) || Number(b.embedded) - Number(a.embedded) || a.id.localeCompare(b.id));
  const chosen = ranked[0];
  const blind = !chosen.embedded && chosen.telemetry === undefined;
  const others = ranked.length > 1 ? `, fewest of the ${ranked.length} hives that have it` : "";
  narrate(
    "placement",
    blind
      ? `no worker seen for ${model}: handing it to hive ${chosen.id} (it has the model and sends no worker telemetry, so it picks the worker)`
      : `starting a worker for ${model} on hive ${chosen.id} (it has the model and runs ${running(chosen.id)} worker(s)${others})`,
    { hive_id: chosen.id, model },
  );
  return { hiveId: chosen.id, blind };
}

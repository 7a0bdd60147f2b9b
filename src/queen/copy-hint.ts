import { readModelConfig } from "../config/model-config.ts";
import type { JobRegistry } from "../jobs/job-registry.ts";
import { runJob, type Executor } from "../jobs/job-runner.ts";
import type { Job } from "../jobs/job.ts";
import { narrate } from "../narration/narrate.ts";
import { audit } from "../security/audit-log.ts";
import type { HiveDirectory } from "./hive-directory.ts";
import type { WorkerSlots } from "./worker-view.ts";

const LOOKUP_TIMEOUT_MS = 5_000;
/** A model is pointed out (or copied) at most this often: a queue of many requests says it once. */
const HINT_EVERY_MS = 60_000;

/**
 * A request queued because every slot for its model is busy, while the model sits only on busy
 * hives and another online hive has room (no busy worker): the queue's narration says so, with
 * the command that fixes it; with `auto_copy: true` in models.json the copy starts by itself, as
 * its own `model_copy` job.
 */
export function copyHint(hives: HiveDirectory, registry: JobRegistry, executor: Executor): (model: string, workers: WorkerSlots[], job: Job) => void {
  const lastHint = new Map<string, number>();
  return (model, workers, job) => {
    const now = Date.now();
    if (now - (lastHint.get(model) ?? 0) < HINT_EVERY_MS) return;
    lastHint.set(model, now);
    void suggest(model, workers, job).catch((err) => narrate("copy_hint_failed", `could not look for a hive with room for ${model}: ${(err as Error).message}`, { level: "debug" }));
  };

  async function suggest(model: string, workers: WorkerSlots[], job: Job): Promise<void> {
    const online = hives.list().filter((h) => h.state === "online");
    const signal = AbortSignal.timeout(LOOKUP_TIMEOUT_MS);
    const has = await Promise.all(
      online.map(async (h) => {
        const list = (await hives.run(h.id, { operation: "model_list", hive_id: h.id }, { signal, job }).catch(() => [])) as { id: string }[];
        return list.some((m) => m.id === model);
      }),
    );
    const holders = online.filter((_, i) => has[i]).map((h) => h.id);
    const busy = (hiveId: string) => workers.some((w) => w.hive_id === hiveId && w.busy > 0);
    const roomy = online.filter((h, i) => !has[i] && !busy(h.id)).map((h) => h.id);
    if (!holders.length || !holders.every(busy) || !roomy.length) return;
    const to = roomy[0];
    const where = `${model} is only on hive${holders.length > 1 ? "s" : ""} ${holders.join(", ")}, which ${holders.length > 1 ? "are" : "is"} busy; hive ${to} has room`;
    if (!readModelConfig().auto_copy) {
      narrate("copy_hint", `${where}: \`rbee model copy ${model} --to-hive ${to}\` puts it there (or set "auto_copy": true in models.json)`, { model, from_hive: holders[0], to_hive: to });
      return;
    }
    const copy = registry.create({ operation: "model_copy", model, from_hive: holders[0], to_hive: to });
    audit("job_created", copy.auditFields());
    narrate("copy_started", `${where}: copying it there (auto_copy), job ${copy.id}`, { model, from_hive: holders[0], to_hive: to, copy_job_id: copy.id });
    void runJob(copy, executor);
  }
}

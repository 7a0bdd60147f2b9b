import { isFinished } from "../src/protocol/jobs.ts";
import type { QueenApi } from "./queen-api.ts";
import { READ_OPERATIONS } from "./store.ts";

/** A few lines on what the queen holds, for when no dashboard can be drawn. */
export async function statusSummary(api: QueenApi): Promise<{ ok: boolean; text: string }> {
  const signal = AbortSignal.timeout(5_000);
  try {
    const info = await api.info(signal);
    const [hives, workers, jobs] = await Promise.all([api.hives(signal), api.workers(signal), api.jobs(signal)]);
    const online = hives.filter((h) => h.state === "online").length;
    const ready = workers.filter((w) => w.state === "ready").length;
    const running = jobs.filter((j) => !isFinished(j.state) && !READ_OPERATIONS.has(j.operation)).length;
    const text = [
      `queen    ${api.url} (v${info.version})`,
      `hives    ${online}/${hives.length} online${hives.length ? `: ${hives.map((h) => `${h.id} (${h.state})`).join(", ")}` : ""}`,
      `workers  ${workers.length} (${ready} ready)`,
      `jobs     ${running} running`,
    ].join("\n");
    return { ok: true, text };
  } catch (err) {
    return { ok: false, text: `queen    ${api.url}: not reachable (${(err as Error).message})` };
  }
}

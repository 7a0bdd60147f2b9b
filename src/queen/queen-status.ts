import { narrate } from "../narration/narrate.ts";
import type { JobRegistry } from "../jobs/job-registry.ts";
import { VERSION } from "../version.ts";

export interface QueenStatus {
  version: string;
  pid: number;
  uptime_s: number;
  jobs: Record<string, number>;
  hives: { id: string; state: string }[];
}

/** The `status` operation: what the queen is and what it holds. */
export async function queenStatus(registry: JobRegistry, startedAt: number, hives: () => { id: string; state: string }[]): Promise<QueenStatus> {
  // This status job is running too: it is not what the user asks about.
  const counted = registry.countByState();
  const jobs = { ...counted, running: Math.max(0, (counted.running ?? 0) - 1) };
  const known = hives();
  narrate("status", `queen ${VERSION} up ${Math.round((Date.now() - startedAt) / 1000)} s, ${jobs.running} job(s) running, ${known.length} hive(s) known`);
  return { version: VERSION, pid: process.pid, uptime_s: Math.round((Date.now() - startedAt) / 1000), jobs, hives: known };
}

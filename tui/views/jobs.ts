import { isFinished, type JobInfo } from "../../src/protocol/jobs.ts";
import { READ_OPERATIONS } from "../store.ts";
import { ago, duration, type ResourceTable } from "./columns.ts";

/** Newest first; the reads the dashboard itself polls with are hidden unless asked for. */
export function jobRows(jobs: JobInfo[], showReads: boolean): JobInfo[] {
  return jobs.filter((j) => showReads || !READ_OPERATIONS.has(j.operation)).sort((a, b) => b.created_at - a.created_at);
}

export const jobsTable: ResourceTable<JobInfo> = {
  title: "Jobs",
  idOf: (j) => j.job_id,
  empty: "no jobs yet (press i to run an inference)",
  columns: [
    { title: "JOB", get: (j) => j.job_id, priority: 1 },
    { title: "OPERATION", get: (j) => j.operation, priority: 1 },
    { title: "STATE", get: (j) => j.state, priority: 1 },
    { title: "TOOK", get: (j, now) => (j.started_at ? duration((isFinished(j.state) ? (j.finished_at ?? now) : now) - j.started_at) : ""), priority: 2 },
    { title: "AGE", get: (j, now) => ago(j.created_at, now), priority: 3 },
    { title: "HIVE", get: (j) => j.hive_id ?? "", priority: 4 },
    { title: "EVENTS", get: (j) => String(j.events), priority: 5 },
    { title: "ERROR", get: (j) => j.error ?? "", priority: 6, max: 60 },
  ],
};

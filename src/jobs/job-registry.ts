import { randomUUID } from "node:crypto";
import { READ_ONLY, type Operation } from "../protocol/operations.ts";
import { RbeeError } from "../protocol/errors.ts";
import type { JobState } from "../protocol/jobs.ts";
import { Job } from "./job.ts";

export interface RegistryLimits {
  /** Events kept per job for late subscribers. */
  maxEventsPerJob: number;
  /** How long a finished job stays visible. */
  retentionMs: number;
  /** Finished jobs kept at most; the oldest go first. */
  maxFinishedJobs: number;
  /** Jobs running at once; past this new jobs are refused (503). */
  maxActiveJobs: number;
  /** Finished read-only jobs kept at most, and for how long. */
  maxFinishedReads: number;
  readRetentionMs: number;
}

export const DEFAULT_LIMITS: RegistryLimits = {
  maxEventsPerJob: 10_000,
  retentionMs: 15 * 60_000,
  maxFinishedJobs: 1_000,
  maxActiveJobs: 10_000,
  maxFinishedReads: 100,
  readRetentionMs: 60_000,
};

/** All jobs a daemon knows, bounded: finished jobs are dropped after a retention time. */
export class JobRegistry {
  private readonly jobs = new Map<string, Job>();
  readonly limits: RegistryLimits;

  constructor(limits: Partial<RegistryLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  create(operation: Operation, correlationId?: string): Job {
    this.sweep();
    if (this.countActive() >= this.limits.maxActiveJobs) {
      throw new RbeeError("TOO_MANY_JOBS", `${this.limits.maxActiveJobs} jobs are already running`, "Wait for some to finish, or cancel some with `rbee jobs cancel ID`.", 503);
    }
    const id = `job-${randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const job = new Job(id, operation, correlationId ?? id, this.limits.maxEventsPerJob);
    this.jobs.set(id, job);
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  require(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw new RbeeError("JOB_NOT_FOUND", `no job ${id}`, "List jobs with `rbee jobs list`; finished jobs are kept for a limited time.", 404);
    return job;
  }

  list(): Job[] {
    this.sweep();
    return [...this.jobs.values()];
  }

  countByState(): Record<JobState, number> {
    const counts: Record<JobState, number> = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const job of this.jobs.values()) counts[job.state]++;
    return counts;
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Drops finished jobs past their retention time, and the oldest past the count cap. */
  sweep(now = Date.now()): void {
    const finished: Job[] = [];
    const reads: Job[] = [];
    for (const job of this.jobs.values()) {
      if (!job.finished) continue;
      const read = READ_ONLY.has(job.operation.operation);
      if (now - (job.finishedAt ?? now) > (read ? this.limits.readRetentionMs : this.limits.retentionMs)) this.jobs.delete(job.id);
      else (read ? reads : finished).push(job);
    }
    this.dropOldest(finished, this.limits.maxFinishedJobs);
    this.dropOldest(reads, this.limits.maxFinishedReads);
  }

  private dropOldest(jobs: Job[], keep: number): void {
    if (jobs.length <= keep) return;
    jobs.sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0));
    for (const job of jobs.slice(0, jobs.length - keep)) this.jobs.delete(job.id);
  }

  /** Cancels every unfinished job (daemon shutdown). */
  cancelAll(reason = "shutting down"): void {
    for (const job of this.jobs.values()) if (!job.finished) job.controller.abort(new RbeeError("CANCELLED", reason));
  }

  private countActive(): number {
    let n = 0;
    for (const job of this.jobs.values()) if (!job.finished) n++;
    return n;
  }
}

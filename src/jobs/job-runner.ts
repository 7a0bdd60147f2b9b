import type { Operation } from "../protocol/operations.ts";
import { RbeeError } from "../protocol/errors.ts";
import { runWithNarration } from "../narration/context.ts";
import { narrate } from "../narration/narrate.ts";
import type { Job } from "./job.ts";
import { armDeadline, isDeadline } from "./deadline.ts";

export interface ExecutorContext {
  /** Fires on cancel, timeout or deadline. */
  signal: AbortSignal;
  job: Job;
  /** Absolute deadline (epoch ms) to pass downstream, when the request had one. */
  deadline?: number;
}

/** Runs one operation. Its return value (when not undefined) becomes the `result` event. */
export type Executor = (op: Operation, ctx: ExecutorContext) => Promise<unknown>;

/**
 * Runs a job: sets the narration context ONCE around the executor, so every narrate()
 * inside it — however deep — lands in this job's stream; then ends the stream with
 * exactly one marker. Never throws.
 */
export async function runJob(job: Job, executor: Executor): Promise<void> {
  job.state = "running";
  job.startedAt = Date.now();
  const ctx = { jobId: job.id, correlationId: job.correlationId, actorToken: job.actorToken, emit: job.push.bind(job) };
  const deadlineTimer = job.deadline ? armDeadline(job.deadline, job.controller) : undefined;
  try {
    const execCtx = { signal: job.controller.signal, job, deadline: job.deadline };
    const result = await runWithNarration(ctx, () => abortable(job.controller.signal, () => executor(job.operation, execCtx)));
    if (result !== undefined) job.push({ kind: "result", result });
    job.finish("completed");
  } catch (err) {
    const reason = job.controller.signal.reason;
    if (job.controller.signal.aborted && reason instanceof RbeeError && reason.code === "CANCELLED") {
      runWithNarration(ctx, () => narrate("job_cancelled", `job cancelled: ${reason.message}`, { level: "warn" }));
      job.finish("cancelled");
    } else {
      // A deadline that passed is the cause, whatever the aborted step threw on its way out.
      const error = isDeadline(reason) ? reason : RbeeError.from(err);
      runWithNarration(ctx, () => narrate("job_failed", error.message, { level: "error", code: error.code, ...(error.hint ? { hint: error.hint } : {}) }));
      job.finish("failed", error.message);
    }
  } finally {
    clearTimeout(deadlineTimer);
  }
}

/** Cancels a job: its executor sees the abort, its stream ends with [CANCELLED]. */
export function cancelJob(job: Job, reason = "cancelled by request"): boolean {
  if (job.finished) return false;
  job.controller.abort(new RbeeError("CANCELLED", reason));
  return true;
}

/**
 * Settles as soon as the signal aborts, even if the executor ignores it, so a cancel
 * always ends the stream promptly. The executor still sees the signal and should stop.
 */
function abortable<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    fn().then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

import type { JobRegistry } from "../jobs/job-registry.ts";
import { cancelJob, runJob, type Executor } from "../jobs/job-runner.ts";
import type { Frame, Job } from "../jobs/job.ts";
import { RbeeError } from "../protocol/errors.ts";
import type { OperationOf, ScheduledOp } from "../protocol/operations.ts";
import type { NarrationEvent, TokenLogprob } from "../protocol/events.ts";
import { isDeadline } from "../jobs/deadline.ts";

/** What an `infer` job answers (the hive's result). */
export interface InferOutcome {
  tokens: number;
  prompt_tokens?: number;
  cached_tokens?: number;
  ttft_ms?: number;
  tokens_per_s?: number;
  finish_reason?: string;
  worker_id?: string;
}

export interface InferJob {
  job: Job;
  /** The job's result once it completed; its error (an RbeeError) when it failed or was cancelled. */
  outcome: Promise<InferOutcome>;
  cancel(reason: string): void;
}

/** The token event of a frame, or undefined for any other frame. */
const tokenOf = (frame: Frame) => (frame.event?.kind === "token" ? frame.event : undefined);

/**
 * Runs one inference (or another operation a foreign-API room needs: a pull, a worker stop) as
 * a real queen job (listed by `rbee jobs`, narrated on its stream, run by the queen's executor
 * like any other), reading its tokens from the job's own event log.
 * `onToken` is called in the same turn the token reaches the job.
 */
export function startInferJob(
  registry: JobRegistry,
  executor: Executor,
  op: ScheduledOp | OperationOf<"model_download" | "worker_stop">,
  onToken: (text: string, logprobs?: TokenLogprob[]) => void,
  opts: { correlationId?: string; deadline?: number; beforeRun?: (job: Job) => void; onNarration?: (event: NarrationEvent) => void } = {},
): InferJob {
  const job = registry.create(op, opts.correlationId);
  job.deadline = opts.deadline;
  opts.beforeRun?.(job);
  let failure: unknown;
  let result: unknown;
  const unsubscribe = job.subscribe(0, (frame, final) => {
    if (final) return;
    const token = tokenOf(frame);
    if (token?.text) onToken(token.text, token.logprobs);
    else if (frame.event?.kind === "narration") opts.onNarration?.(frame.event);
  });
  // The executor's own error keeps its code and status (the job stream only keeps the message).
  const observed: Executor = async (o, ctx) => {
    try {
      return (result = await executor(o, ctx));
    } catch (err) {
      failure = err;
      throw err;
    }
  };
  const outcome = runJob(job, observed).then(() => {
    unsubscribe();
    if (job.state === "completed") return (result ?? { tokens: 0 }) as InferOutcome;
    const reason = job.controller.signal.reason;
    if (job.state === "cancelled") throw reason instanceof RbeeError ? reason : new RbeeError("CANCELLED", "the request was cancelled");
    if (isDeadline(reason)) throw reason;
    throw failure instanceof RbeeError ? failure : new RbeeError("INFER_FAILED", job.error ?? "the inference failed", `See the story with \`rbee jobs logs ${job.id}\`.`, 500);
  });
  return { job, outcome, cancel: (reason) => void cancelJob(job, reason) };
}

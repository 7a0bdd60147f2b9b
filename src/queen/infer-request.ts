import type { Context } from "hono";
import type { JobRegistry } from "../jobs/job-registry.ts";
import type { Executor } from "../jobs/job-runner.ts";
import type { Job } from "../jobs/job.ts";
import { DEADLINE_HEADER, readDeadline } from "../jobs/deadline.ts";
import type { OperationOf, ScheduledOp } from "../protocol/operations.ts";
import type { InferScheduler } from "./infer-scheduler.ts";
import { startInferJob, type InferJob } from "./infer-job.ts";
import type { TokenLogprob } from "../protocol/events.ts";

/**
 * Tokens generated when the client sets no limit. OpenAI's and Ollama's default is "until the
 * model stops or its context is full"; a worker stops at its context size anyway, so this only bounds it.
 */
export const DEFAULT_MAX_TOKENS = 4096;

export interface InferDeps {
  registry: JobRegistry;
  /** The queen's executor: each request runs as an `infer` job through it. */
  executor: Executor;
  /** Lets a stream start as soon as its request is scheduled (else at its first token). */
  scheduler?: InferScheduler;
}

export interface OpenInfer {
  run: InferJob;
  /** Tokens that came before a follower was set. */
  buffered: string[];
  /** Each buffered piece's log-probabilities, when the request asked for them. */
  bufferedLogprobs: (TokenLogprob[] | undefined)[];
  /** Where tokens go from now on (the buffer until then). */
  follow(onToken: (text: string, logprobs?: TokenLogprob[]) => void): void;
  /** Resolves once a worker has the request, its first token came, or it ended. */
  admitted: Promise<unknown>;
  headers: Record<string, string>;
}

/**
 * One foreign-API request as a queen `infer` job, the part every API room shares: the
 * deadline header, the scheduler's grant, cancel when the client goes away, and the tokens
 * held until the room is ready to send them. The rooms only translate.
 */
export function openInfer(c: Context, op: ScheduledOp, deps: InferDeps): OpenInfer {
  const deadline = readDeadline(c.req.header(DEADLINE_HEADER));
  const buffered: string[] = [];
  const bufferedLogprobs: (TokenLogprob[] | undefined)[] = [];
  let firstToken!: () => void;
  const started = new Promise<void>((resolve) => (firstToken = resolve));
  let onToken = (text: string, logprobs?: TokenLogprob[]) => {
    buffered.push(text);
    bufferedLogprobs.push(logprobs);
    firstToken();
  };
  let scheduled!: () => void;
  const granted = new Promise<void>((resolve) => (scheduled = resolve));
  const beforeRun = (job: Job) => deps.scheduler?.onGranted(job, scheduled);
  const run = startInferJob(deps.registry, deps.executor, op, (text, logprobs) => onToken(text, logprobs), { correlationId: c.req.header("x-correlation-id"), deadline, beforeRun });
  const gone = c.req.raw.signal;
  const onGone = () => run.cancel("the client disconnected");
  if (gone.aborted) onGone();
  gone.addEventListener("abort", onGone, { once: true });
  void run.outcome.catch(() => {}).finally(() => gone.removeEventListener("abort", onGone));
  const admitted = Promise.race([granted, started, run.outcome]);
  // Only streaming rooms wait on it; a failure is read from run.outcome by the others.
  admitted.catch(() => {});
  return {
    run,
    buffered,
    bufferedLogprobs,
    follow: (next) => (onToken = next),
    admitted,
    headers: { "x-rbee-job-id": run.job.id },
  };
}

/** A stream's pushes come inside the job's own; a client gone mid-way must never throw into it. */
export function safeStream(start: (send: (bytes: Uint8Array) => void, close: () => void) => void, onCancel: () => void): ReadableStream<Uint8Array> {
  let open = true;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (bytes: Uint8Array) => {
        if (!open) return;
        try {
          controller.enqueue(bytes);
        } catch {
          open = false;
        }
      };
      const close = () => {
        if (!open) return;
        open = false;
        controller.close();
      };
      start(send, close);
    },
    cancel() {
      open = false;
      onCancel();
    },
  });
}

/** What an `embed` job answers (the hive's result). */
export interface EmbedOutcome {
  embeddings: number[][];
  prompt_tokens: number;
}

/** What a `rank` job answers: one score per document, in their order. */
export interface RankOutcome {
  scores: number[];
  prompt_tokens: number;
}

/** Runs a one-answer operation (embed, rank) as a queen job and returns its result. */
async function runWhole<T>(c: Context, op: ScheduledOp, deps: InferDeps): Promise<T & { headers: Record<string, string> }> {
  const run = openInfer(c, op, deps);
  const outcome = (await run.run.outcome) as unknown as T;
  return { ...outcome, headers: run.headers };
}

/** Runs an `embed` as a queen job and returns its vectors. */
export const runEmbed = (c: Context, op: OperationOf<"embed">, deps: InferDeps) => runWhole<EmbedOutcome>(c, op, deps);

/** Runs a `rank` as a queen job and returns its scores. */
export const runRank = (c: Context, op: OperationOf<"rank">, deps: InferDeps) => runWhole<RankOutcome>(c, op, deps);

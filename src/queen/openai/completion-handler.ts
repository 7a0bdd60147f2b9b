import type { Context } from "hono";
import type { JobRegistry } from "../../jobs/job-registry.ts";
import type { Executor } from "../../jobs/job-runner.ts";
import { SSE_HEADERS } from "../../jobs/sse.ts";
import { DEADLINE_HEADER, readDeadline } from "../../jobs/deadline.ts";
import { toOpenAiError, ParamError } from "./openai-errors.ts";
import { readBodyText } from "../../http/errors.ts";
import { startInferJob, type InferJob, type InferOutcome } from "./infer-job.ts";
import type { Job } from "../../jobs/job.ts";
import type { InferScheduler } from "../infer-scheduler.ts";
import { finishReason, usageOf, type Flavor, type Head } from "./response-shapes.ts";
import type { InferRequest } from "./to-infer.ts";

export interface CompletionDeps {
  registry: JobRegistry;
  executor: Executor;
  scheduler?: InferScheduler;
}

const encoder = new TextEncoder();
const sse = (data: string) => encoder.encode(`data: ${data}\n\n`);

/**
 * One completion request, chat or text: runs it as a queen job and answers with one JSON
 * body, or (`stream: true`) with SSE chunks ending in `data: [DONE]`. A streamed answer
 * starts once a worker has the request, so an error before that (unknown model, full queue,
 * a worker that cannot start) still gets its own HTTP status. A client that goes away cancels the job, which closes the worker
 * request and frees its slot.
 */
export async function handleCompletion(c: Context, flavor: Flavor, toInfer: (body: unknown) => InferRequest, deps: CompletionDeps): Promise<Response> {
  const deadline = readDeadline(c.req.header(DEADLINE_HEADER));
  const req = toInfer(await readBody(c));
  const buffered: string[] = [];
  let firstToken!: () => void;
  const started = new Promise<void>((resolve) => (firstToken = resolve));
  let onToken = (text: string) => {
    buffered.push(text);
    firstToken();
  };
  let scheduled!: () => void;
  const admitted = new Promise<void>((resolve) => (scheduled = resolve));
  const beforeRun = (job: Job) => deps.scheduler?.onGranted(job, scheduled);
  const run = startInferJob(deps.registry, deps.executor, req.op, (text) => onToken(text), { correlationId: c.req.header("x-correlation-id"), deadline, beforeRun });
  const head: Head = { id: `${flavor.idPrefix}${run.job.id.replace(/^job-/, "")}`, created: Math.floor(Date.now() / 1000), model: req.model };
  const headers = { "x-rbee-job-id": run.job.id };
  const gone = c.req.raw.signal;
  const onGone = () => run.cancel("the client disconnected");
  if (gone.aborted) onGone();
  gone.addEventListener("abort", onGone, { once: true });
  void run.outcome.catch(() => {}).finally(() => gone.removeEventListener("abort", onGone));

  if (!req.stream) {
    const outcome = await run.outcome;
    return c.json(flavor.whole(head, buffered.join(""), finishReason(outcome.finish_reason), usageOf(outcome)), 200, headers);
  }
  // Wait until a worker has it (or its first token, or its end): an error before that — unknown
  // model, full queue, a worker that cannot start — is thrown and answered with its own status.
  await Promise.race([admitted, started, run.outcome]);
  return new Response(tokenStream(run, flavor, head, req.includeUsage, buffered, (next) => (onToken = next)), { headers: { ...SSE_HEADERS, ...headers } });
}

function tokenStream(run: InferJob, flavor: Flavor, head: Head, includeUsage: boolean, buffered: string[], follow: (onToken: (text: string) => void) => void): ReadableStream<Uint8Array> {
  // With include_usage every chunk carries `usage: null`, and one last chunk the totals.
  const withUsage = (chunk: object) => (includeUsage ? { ...chunk, usage: null } : chunk);
  let open = true;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      // Tokens arrive inside the job's own push: never let a gone client throw into it.
      const send = (data: string) => {
        if (!open) return;
        try {
          controller.enqueue(sse(data));
        } catch {
          open = false;
        }
      };
      const close = () => {
        if (!open) return;
        open = false;
        controller.close();
      };
      const opening = flavor.opening(head);
      if (opening) send(JSON.stringify(withUsage(opening)));
      for (const text of buffered) send(JSON.stringify(withUsage(flavor.delta(head, text))));
      follow((text) => send(JSON.stringify(withUsage(flavor.delta(head, text)))));
      run.outcome.then(
        (outcome: InferOutcome) => {
          send(JSON.stringify(withUsage(flavor.finish(head, finishReason(outcome.finish_reason)))));
          if (includeUsage) send(JSON.stringify(flavor.usage(head, usageOf(outcome))));
          send("[DONE]");
          close();
        },
        (err) => {
          // Mid-stream there is no status to set: OpenAI clients read an `error` object instead.
          send(JSON.stringify(toOpenAiError(err).body));
          close();
        },
      );
    },
    cancel() {
      open = false;
      run.cancel("the client disconnected");
    },
  });
}

async function readBody(c: Context): Promise<unknown> {
  const text = await readBodyText(c);
  if (!text.trim()) throw new ParamError("INVALID_REQUEST", "the request body is empty; send a JSON object", null);
  try {
    return JSON.parse(text);
  } catch {
    throw new ParamError("INVALID_JSON", "the request body is not valid JSON", null);
  }
}

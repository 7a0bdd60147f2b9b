import { RbeeError } from "../protocol/errors.ts";
import type { BatchScheduler } from "./batch-scheduler.ts";
import { InferenceRequest, type InferenceDone } from "./inference-request.ts";
import type { LoadedModel } from "./model-loader.ts";
import { assertFits, preparePrompt } from "./prompt.ts";
import { grammarFor, grammarState } from "./grammar.ts";
import { challengeHeaders, describeZodError } from "../http/errors.ts";
import { encodeSse, SSE_HEADERS, SSE_PING } from "../jobs/sse.ts";

const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Until its first token a request is silent (prefill of a long prompt can take a while), so it
 * says "alive" this often: the hive's stall watchdog then tells slow from hung. After the first
 * token only tokens count.
 */
const PREFILL_PING_MS = 1_000;

export function errorResponse(err: unknown, headers: Record<string, string> = {}): Response {
  const e = RbeeError.from(err);
  return Response.json(e.toBody(), { status: e.status, headers: { ...challengeHeaders(e), ...headers } });
}

async function parseBody(req: Request): Promise<InferenceRequest> {
  const text = await req.text();
  if (text.length > MAX_BODY_BYTES) throw new RbeeError("BODY_TOO_LARGE", "The request body is over 1 MiB.", "Send a shorter prompt.", 413);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RbeeError("INVALID_JSON", "The request body is not JSON.", 'Send {"prompt": "..."} with content-type application/json.');
  }
  const parsed = InferenceRequest.safeParse(json);
  if (!parsed.success) {
    throw new RbeeError("INVALID_REQUEST", describeZodError(parsed.error), "See `rbee worker serve --help` for the body's fields.");
  }
  return parsed.data;
}

/**
 * `POST /v1/inference`: validate, take a slot (or 503 at once), then stream
 * `started`, `token`…, `done` (or `error`) as SSE. A client that goes away cancels its
 * generation, which frees the slot at the next step.
 */
export async function handleInference(req: Request, loaded: LoadedModel, scheduler: BatchScheduler, modelId: string, stopping: AbortSignal): Promise<Response> {
  const body = await parseBody(req);
  const prompt = preparePrompt(loaded.model, loaded.chatWrapper, body);
  assertFits(prompt, scheduler.sequenceContextSize);
  const grammar = await grammarFor(loaded.llama, body);
  const state = grammar && (await grammarState(loaded.model, grammar));
  const sequence = scheduler.acquire(prompt.tokens);
  if (!sequence) {
    return errorResponse(
      new RbeeError("WORKER_BUSY", `All ${scheduler.slots} slot(s) of this worker are busy.`, "Retry shortly, or start the worker with more slots.", 503),
      { "retry-after": "1" },
    );
  }
  const cancel = new AbortController();
  const onAbort = () => cancel.abort();
  req.signal.addEventListener("abort", onAbort, { once: true });
  stopping.addEventListener("abort", onAbort, { once: true });
  let open = true;
  let eventId = 0;
  let prefillPing: ReturnType<typeof setInterval> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (event: string, data: unknown) => {
        if (open) controller.enqueue(encodeSse(++eventId, JSON.stringify(data), event));
      };
      const close = () => {
        clearInterval(prefillPing);
        if (!open) return;
        open = false;
        controller.close();
      };
      send("started", { model: modelId, prompt_tokens: prompt.tokens.length });
      prefillPing = setInterval(() => open && controller.enqueue(SSE_PING), PREFILL_PING_MS);
      const sampling = {
        temperature: body.temperature,
        topP: body.top_p,
        topK: body.top_k,
        minP: body.min_p,
        seed: body.seed ?? (Math.random() * 0xffffffff) >>> 0,
        repeatPenalty: body.repeat_penalty,
        presencePenalty: body.presence_penalty,
        frequencyPenalty: body.frequency_penalty,
        lastN: body.repeat_last_n,
      };
      scheduler
        .generate(sequence, {
          tokens: prompt.tokens,
          maxTokens: body.max_tokens,
          sampling,
          // Under a grammar the grammar says where the output ends; the template's own stop
          // strings could cut it short inside a JSON string.
          stop: [...(body.stop ?? []), ...(state ? [] : prompt.stop)],
          signal: cancel.signal,
          onText: (text, logprobs) => {
            clearInterval(prefillPing);
            send("token", logprobs ? { text, logprobs } : { text });
          },
          grammar: state,
          ...(body.logprobs ? { topLogprobs: body.top_logprobs ?? 0 } : {}),
        })
        .then(
          (r) => {
            if (r.finishReason === "cancelled") return close();
            const done: InferenceDone = {
              tokens: r.tokens,
              prompt_tokens: r.promptTokens,
              cached_tokens: r.cachedTokens,
              ttft_ms: Math.round(r.ttftMs * 10) / 10,
              tokens_per_s: Math.round(r.tokensPerS * 10) / 10,
              finish_reason: r.finishReason,
            };
            send("done", done);
            close();
          },
          (err) => {
            send("error", RbeeError.from(err).toBody());
            close();
          },
        )
        .finally(() => {
          req.signal.removeEventListener("abort", onAbort);
          stopping.removeEventListener("abort", onAbort);
        });
    },
    cancel() {
      // The client went away: stop generating for it.
      clearInterval(prefillPing);
      open = false;
      cancel.abort();
    },
  });
  return new Response(stream, { headers: SSE_HEADERS });
}

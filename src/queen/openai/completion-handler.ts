import type { Context } from "hono";
import { SSE_HEADERS } from "../../jobs/sse.ts";
import { toOpenAiError, ParamError } from "./openai-errors.ts";
import { readBodyText } from "../../http/errors.ts";
import type { InferOutcome } from "../infer-job.ts";
import { openInfer, safeStream, type InferDeps, type OpenInfer } from "../infer-request.ts";
import { finishReason, usageOf, type Flavor, type Head } from "./response-shapes.ts";
import type { InferRequest } from "./to-infer.ts";
import { readToolAnswer, type ToolCall } from "../tools/tool-calling.ts";

export type CompletionDeps = InferDeps;

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
  const req = toInfer(await readBody(c));
  const infer = openInfer(c, req.op, deps);
  const { run, headers } = infer;
  const head: Head = { id: `${flavor.idPrefix}${run.job.id.replace(/^job-/, "")}`, created: Math.floor(Date.now() / 1000), model: req.model, ...(req.textOffset !== undefined ? { textOffset: req.textOffset } : {}) };
  if (!req.stream) {
    const outcome = await run.outcome;
    const { content, calls } = answerOf(infer.buffered.join(""), req);
    const logprobs = req.logprobs ? infer.bufferedLogprobs.flatMap((l) => l ?? []) : undefined;
    return c.json(flavor.whole(head, content, finishReason(outcome.finish_reason, calls.length), usageOf(outcome), calls, logprobs), 200, headers);
  }
  // Wait until a worker has it (or its first token, or its end): an error before that — unknown
  // model, full queue, a worker that cannot start — is thrown and answered with its own status.
  await infer.admitted;
  return new Response(tokenStream(infer, flavor, head, req), { headers: { ...SSE_HEADERS, ...headers } });
}

/** The answer as text, or as tool calls when the request gave tools. */
function answerOf(text: string, req: InferRequest): { content: string | null; calls: ToolCall[] } {
  return req.tools ? readToolAnswer(text, req.tools) : { content: text, calls: [] };
}

function tokenStream({ run, buffered, bufferedLogprobs, follow }: OpenInfer, flavor: Flavor, head: Head, req: InferRequest): ReadableStream<Uint8Array> {
  // With include_usage every chunk carries `usage: null`, and one last chunk the totals.
  const withUsage = (chunk: object) => (req.includeUsage ? { ...chunk, usage: null } : chunk);
  return safeStream(
    (push, close) => {
      const send = (data: string) => push(sse(data));
      const opening = flavor.opening(head);
      if (opening) send(JSON.stringify(withUsage(opening)));
      // Under a tool plan the answer is JSON to read whole: it is sent once complete, as
      // content or as a tool_calls delta.
      if (req.tools) follow((text) => buffered.push(text));
      else {
        buffered.forEach((text, i) => send(JSON.stringify(withUsage(flavor.delta(head, text, req.logprobs ? bufferedLogprobs[i] : undefined)))));
        follow((text, logprobs) => send(JSON.stringify(withUsage(flavor.delta(head, text, req.logprobs ? logprobs : undefined)))));
      }
      run.outcome.then(
        (outcome: InferOutcome) => {
          let calls = 0;
          if (req.tools) {
            const answer = answerOf(buffered.join(""), req);
            calls = answer.calls.length;
            if (answer.content) send(JSON.stringify(withUsage(flavor.delta(head, answer.content))));
            if (calls && flavor.toolCalls) send(JSON.stringify(withUsage(flavor.toolCalls(head, answer.calls))));
          }
          send(JSON.stringify(withUsage(flavor.finish(head, finishReason(outcome.finish_reason, calls)))));
          if (req.includeUsage) send(JSON.stringify(flavor.usage(head, usageOf(outcome))));
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
    () => run.cancel("the client disconnected"),
  );
}

export async function readBody(c: Context): Promise<unknown> {
  const text = await readBodyText(c);
  if (!text.trim()) throw new ParamError("INVALID_REQUEST", "the request body is empty; send a JSON object", null);
  try {
    return JSON.parse(text);
  } catch {
    throw new ParamError("INVALID_JSON", "the request body is not valid JSON", null);
  }
}

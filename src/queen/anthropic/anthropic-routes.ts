import { Hono, type Context } from "hono";
import { readJson } from "../../http/errors.ts";
import { RbeeError } from "../../protocol/errors.ts";
import { openInfer, safeStream, type InferDeps } from "../infer-request.ts";
import type { InferOutcome } from "../infer-job.ts";
import { readToolAnswer, type ToolCall } from "../tools/tool-calling.ts";
import { CountRequest, MessagesRequest, messagesToInfer, parseAnthropic, type AnthropicInfer } from "./anthropic-requests.ts";

/** Anthropic's error types by status. */
function errorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit_error";
  if (status === 503) return "overloaded_error";
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}

const errorBody = (err: unknown) => {
  const e = RbeeError.from(err);
  const status = e.status >= 400 && e.status <= 599 ? e.status : 500;
  return { status, body: { type: "error", error: { type: errorType(status), message: e.hint ? `${e.message}. ${e.hint}` : e.message } } };
};

const encoder = new TextEncoder();
const event = (name: string, data: object) => encoder.encode(`event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`);

/** Anthropic's stop reasons from the worker's finish reason. */
const stopReason = (outcome: InferOutcome, calls: number) => (calls ? "tool_use" : outcome.finish_reason === "length" ? "max_tokens" : "end_turn");

const toolUse = (c: ToolCall) => ({ type: "tool_use", id: c.id, name: c.name, input: JSON.parse(c.arguments) as unknown });

/**
 * The Anthropic Messages API on the queen: `POST /v1/messages` (whole, or streamed as
 * message_start … message_stop events) and `POST /v1/messages/count_tokens`, each a queen
 * `infer` job like any other request.
 */
export function anthropicRoutes(deps: InferDeps): Hono {
  const app = new Hono();
  app.onError((err) => {
    const { status, body } = errorBody(err);
    return Response.json(body, { status });
  });
  app.post("/v1/messages", async (c) => answer(c, messagesToInfer(parseAnthropic(MessagesRequest, await readJson(c))), deps));
  // The prompt's size as the worker counts it: the template rendered, one token generated.
  app.post("/v1/messages/count_tokens", async (c) => {
    const req = messagesToInfer({ ...parseAnthropic(CountRequest, await readJson(c)), max_tokens: 1 });
    const outcome = await openInfer(c, req.op, deps).run.outcome;
    return c.json({ input_tokens: outcome.prompt_tokens ?? 0 });
  });
  return app;
}

async function answer(c: Context, req: AnthropicInfer, deps: InferDeps): Promise<Response> {
  const infer = openInfer(c, req.op, deps);
  const id = `msg_${infer.run.job.id.replace(/^job-/, "")}`;
  const read = (text: string) => (req.tools ? readToolAnswer(text, req.tools, "toolu_") : { content: text, calls: [] as ToolCall[] });
  if (!req.stream) {
    const outcome = await infer.run.outcome;
    const { content, calls } = read(infer.buffered.join(""));
    const blocks = [...(content ? [{ type: "text", text: content }] : []), ...calls.map(toolUse)];
    return c.json(
      { id, type: "message", role: "assistant", model: req.model, content: blocks, stop_reason: stopReason(outcome, calls.length), stop_sequence: null, usage: { input_tokens: outcome.prompt_tokens ?? 0, output_tokens: outcome.tokens } },
      200,
      infer.headers,
    );
  }
  await infer.admitted;
  const stream = safeStream(
    (send, close) => {
      send(event("message_start", { message: { id, type: "message", role: "assistant", model: req.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } } }));
      let index = 0;
      let textOpen = false;
      const text = (piece: string) => {
        if (!textOpen) send(event("content_block_start", { index, content_block: { type: "text", text: "" } }));
        textOpen = true;
        send(event("content_block_delta", { index, delta: { type: "text_delta", text: piece } }));
      };
      const endText = () => {
        if (!textOpen) return;
        send(event("content_block_stop", { index: index++ }));
        textOpen = false;
      };
      // Under tools the answer is JSON read whole: its blocks go out once it is complete.
      if (!req.tools) for (const piece of infer.buffered) text(piece);
      infer.follow((piece) => (req.tools ? infer.buffered.push(piece) : text(piece)));
      infer.run.outcome.then(
        (outcome) => {
          let calls: ToolCall[] = [];
          if (req.tools) {
            const answered = read(infer.buffered.join(""));
            calls = answered.calls;
            if (answered.content) text(answered.content);
          }
          endText();
          for (const call of calls) {
            send(event("content_block_start", { index, content_block: { type: "tool_use", id: call.id, name: call.name, input: {} } }));
            send(event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: call.arguments } }));
            send(event("content_block_stop", { index: index++ }));
          }
          send(event("message_delta", { delta: { stop_reason: stopReason(outcome, calls.length), stop_sequence: null }, usage: { input_tokens: outcome.prompt_tokens ?? 0, output_tokens: outcome.tokens } }));
          send(event("message_stop", {}));
          close();
        },
        (err) => {
          send(event("error", { error: errorBody(err).body.error }));
          close();
        },
      );
    },
    () => infer.run.cancel("the client disconnected"),
  );
  return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache", ...infer.headers } });
}

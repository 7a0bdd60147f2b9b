import type { ToolCall } from "../tools/tool-calling.ts";
import type { TokenLogprob } from "../../protocol/events.ts";

/**
 * The two OpenAI answer shapes rbee speaks: chat (`chat.completion`, `chat.completion.chunk`)
 * and legacy text completions (`text_completion`). One Flavor per endpoint, so the request
 * handling is written once.
 */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** As OpenAI reports its own prompt caching: prompt tokens served from a slot's cache. */
  prompt_tokens_details?: { cached_tokens: number };
}

export interface Head {
  id: string;
  created: number;
  model: string;
  /** Legacy completions: the `text_offset` of the next token (the prompt's length at first). */
  textOffset?: number;
}

export interface Flavor {
  /** Prefix of response ids (`chatcmpl-`, `cmpl-`). */
  idPrefix: string;
  /** The chunk that opens a stream, if the flavor has one (chat announces the role). */
  opening(head: Head): object | undefined;
  delta(head: Head, text: string, logprobs?: TokenLogprob[]): object;
  finish(head: Head, reason: string): object;
  /** The final usage chunk (`stream_options.include_usage`). */
  usage(head: Head, usage: Usage): object;
  whole(head: Head, text: string | null, reason: string, usage: Usage, calls?: ToolCall[], logprobs?: TokenLogprob[]): object;
  /** The chunk that carries tool calls (chat only). */
  toolCalls?(head: Head, calls: ToolCall[]): object;
}

const openAiCall = (c: ToolCall, index?: number) => ({ ...(index !== undefined ? { index } : {}), id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } });

export const CHAT: Flavor = {
  idPrefix: "chatcmpl-",
  opening: (h) => chatChunk(h, { role: "assistant", content: "" }, null),
  delta: (h, text, logprobs) => chatChunk(h, { content: text }, null, logprobs),
  finish: (h, reason) => chatChunk(h, {}, reason),
  usage: (h, usage) => ({ ...base(h, "chat.completion.chunk"), choices: [], usage }),
  whole: (h, text, reason, usage, calls = [], logprobs) => ({
    ...base(h, "chat.completion"),
    choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null, ...(calls.length ? { tool_calls: calls.map((c) => openAiCall(c)) } : {}) }, logprobs: chatLogprobs(logprobs), finish_reason: reason }],
    usage,
  }),
  toolCalls: (h, calls) => chatChunk(h, { tool_calls: calls.map((c, i) => openAiCall(c, i)) }, null),
};

export const TEXT: Flavor = {
  idPrefix: "cmpl-",
  opening: () => undefined,
  delta: (h, text, logprobs) => textChunk(h, text, null, logprobs),
  finish: (h, reason) => textChunk(h, "", reason),
  usage: (h, usage) => ({ ...base(h, "text_completion"), choices: [], usage }),
  whole: (h, text, reason, usage, _calls, logprobs) => ({ ...base(h, "text_completion"), choices: [{ index: 0, text: text ?? "", logprobs: textLogprobs(h, logprobs), finish_reason: reason }], usage }),
};

const base = (h: Head, object: string) => ({ id: h.id, object, created: h.created, model: h.model, system_fingerprint: null });

const chatChunk = (h: Head, delta: object, reason: string | null, logprobs?: TokenLogprob[]) => ({
  ...base(h, "chat.completion.chunk"),
  choices: [{ index: 0, delta, logprobs: chatLogprobs(logprobs), finish_reason: reason }],
});

const bytes = (token: string) => [...new TextEncoder().encode(token)];

/** Chat's logprobs object: each token with its bytes and its alternatives (none when not asked for). */
function chatLogprobs(logprobs: TokenLogprob[] | undefined) {
  if (!logprobs) return null;
  const entry = (t: { token: string; logprob: number }) => ({ token: t.token, logprob: t.logprob, bytes: bytes(t.token) });
  return { content: logprobs.map((t) => ({ ...entry(t), top_logprobs: (t.top ?? []).map(entry) })), refusal: null };
}

const textChunk = (h: Head, text: string, reason: string | null, logprobs?: TokenLogprob[]) => ({
  ...base(h, "text_completion"),
  choices: [{ index: 0, text, logprobs: textLogprobs(h, logprobs), finish_reason: reason }],
});

/**
 * Legacy completions' logprobs: parallel lists of tokens, their logprobs, each token's likely
 * alternatives as `{token: logprob}`, and each token's character offset (prompt included).
 */
function textLogprobs(h: Head, logprobs: TokenLogprob[] | undefined) {
  if (!logprobs) return null;
  const text_offset = logprobs.map((t) => {
    const at = h.textOffset ?? 0;
    h.textOffset = at + t.token.length;
    return at;
  });
  return {
    tokens: logprobs.map((t) => t.token),
    token_logprobs: logprobs.map((t) => t.logprob),
    top_logprobs: logprobs.map((t) => Object.fromEntries((t.top ?? []).map((a) => [a.token, a.logprob]))),
    text_offset,
  };
}

export function usageOf(outcome: { tokens?: number; prompt_tokens?: number; cached_tokens?: number }): Usage {
  const prompt = outcome.prompt_tokens ?? 0;
  const completion = outcome.tokens ?? 0;
  const cached = outcome.cached_tokens !== undefined ? { prompt_tokens_details: { cached_tokens: outcome.cached_tokens } } : {};
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, ...cached };
}

/** OpenAI's finish reasons: the worker's `stop`/`length` map one to one; a tool call ends with `tool_calls`. */
export const finishReason = (reason: string | undefined, calls = 0) => (calls ? "tool_calls" : reason === "length" ? "length" : "stop");

import type { ChatHistoryItem, ChatWrapper, LlamaModel, Token } from "node-llama-cpp";
import { RbeeError } from "../protocol/errors.ts";
import type { ChatMessage } from "./inference-request.ts";

export interface PreparedPrompt {
  tokens: Token[];
  /** Extra stop strings the chat template asks for (the end of the assistant's turn). */
  stop: string[];
}

/** The BOS token first when the model wants one (llama.cpp does not add it for us here). */
function withBos(model: LlamaModel, tokens: Token[]): Token[] {
  const bos = model.tokens.bos;
  if (bos == null || !model.tokens.shouldPrependBosToken || tokens[0] === bos) return tokens;
  return [bos, ...tokens];
}

function toHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m): ChatHistoryItem => {
    if (m.role === "system") return { type: "system", text: m.content };
    if (m.role === "assistant") return { type: "model", response: [m.content] };
    return { type: "user", text: m.content };
  });
  // An open model turn at the end is how a chat wrapper renders "now the assistant speaks".
  history.push({ type: "model", response: [] });
  return history;
}

/**
 * Tokens for a request: a raw prompt as is, or chat messages rendered with the model's own
 * chat template (node-llama-cpp resolves the wrapper from the GGUF's `tokenizer.chat_template`).
 */
export function preparePrompt(
  model: LlamaModel,
  chatWrapper: ChatWrapper,
  input: { prompt?: string; messages?: readonly ChatMessage[] },
): PreparedPrompt {
  if (input.prompt !== undefined) return { tokens: withBos(model, model.tokenize(input.prompt)), stop: [] };
  const state = chatWrapper.generateContextState({ chatHistory: toHistory(input.messages ?? []) });
  // Triggers made only of text become stop strings; special tokens end generation as EOG anyway.
  const stop = state.stopGenerationTriggers
    .filter((t) => t.values.every((v) => typeof v === "string"))
    .map((t) => t.toString())
    .filter((s) => s.length > 0);
  return { tokens: withBos(model, state.contextText.tokenize(model.tokenizer)), stop };
}

export function assertFits(prompt: PreparedPrompt, contextSize: number): void {
  if (prompt.tokens.length === 0) throw new RbeeError("EMPTY_PROMPT", "The prompt has no tokens.", "Send a non-empty prompt or messages.");
  if (prompt.tokens.length >= contextSize) {
    throw new RbeeError(
      "PROMPT_TOO_LONG",
      `The prompt is ${prompt.tokens.length} tokens; this worker's context holds ${contextSize} per slot.`,
      "Shorten the prompt, or start the worker with fewer slots or a larger context.",
    );
  }
}

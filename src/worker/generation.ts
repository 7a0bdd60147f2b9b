import type { Token } from "node-llama-cpp";
import type { GrammarState } from "./grammar.ts";
import type { TokenLogprob } from "../protocol/events.ts";

/**
 * One generation as the scheduler runs it, and what each of its steps asks of node-llama-cpp:
 * the sampling options, penalties and log-probabilities of one token. The scheduler
 * (batch-scheduler.ts) decides when steps run; this says what a step is.
 */
export interface Sampling {
  temperature: number;
  topP?: number;
  topK?: number;
  minP?: number;
  /** Seeds the generation's sampler: a seed repeats a run. */
  seed: number;
  /** llama.cpp's penalties over the last `lastN` tokens (prompt and output); 1 / 0 = off. */
  repeatPenalty?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  lastN?: number;
}

export const DEFAULT_LAST_N = 64;

export interface GenerationRequest {
  tokens: Token[];
  maxTokens: number;
  sampling: Sampling;
  stop: readonly string[];
  signal: AbortSignal;
  onText: (text: string, logprobs?: TokenLogprob[]) => void;
  /** The output must match this grammar (a fresh state per generation). */
  grammar?: GrammarState;
  /** Report log-probabilities: the chosen token's, and this many alternatives (0: none). */
  topLogprobs?: number;
}

export type NextInfo = { confidence?: number; probabilities?: Map<Token, number> };

export type FinishReason = "stop" | "length" | "cancelled";

export interface GenerationResult {
  tokens: number;
  promptTokens: number;
  /** Prompt tokens whose KV the slot still held from its previous request (not evaluated again). */
  cachedTokens: number;
  ttftMs: number;
  /** Decode speed after the first token (prefill excluded). */
  tokensPerS: number;
  finishReason: FinishReason;
}

/** Options of a sampler, as node-llama-cpp's sequences take them. */
export type SamplerOptions = Record<string, unknown>;

/** The sampling options of a step: the request's, the penalties over `recent`, its grammar state. */
export function samplerOptions(req: GenerationRequest, recent: Token[]): SamplerOptions {
  const { temperature, topP, topK, minP, seed } = req.sampling;
  const repeatPenalty = penalty(req.sampling, recent);
  return { temperature, topP, topK, minP, seed, ...(repeatPenalty ? { repeatPenalty } : {}), ...(req.grammar ? { grammarEvaluationState: req.grammar } : {}) };
}

/**
 * Whether a request's sampler options change from token to token: the penalties look at the
 * latest tokens, and a grammar is given again each time. Otherwise one options object serves
 * the whole generation, and its sampler is configured once.
 */
export const optionsVary = (req: GenerationRequest): boolean => req.grammar !== undefined || penalty(req.sampling, []) !== undefined;

/** node-llama-cpp's penalty options for this step, when the request asked for any. */
function penalty(sampling: Sampling, recent: Token[]) {
  const { repeatPenalty, presencePenalty, frequencyPenalty, lastN = DEFAULT_LAST_N } = sampling;
  if (lastN === 0 || (!presencePenalty && !frequencyPenalty && (repeatPenalty ?? 1) === 1)) return undefined;
  return { punishTokens: recent, maxPunishTokens: lastN, penalty: repeatPenalty ?? 1, presencePenalty, frequencyPenalty };
}

/**
 * The chosen token's log-probability, and the `top` most likely alternatives'. `piece` gives a
 * token's text where it stands (a word's first token carries its space), so the pieces spell
 * the text.
 */
export function logprobOf(piece: (t: Token) => string, token: Token, next: NextInfo | undefined, top: number): TokenLogprob {
  const log = (p: number | undefined) => (p && p > 0 ? Math.log(p) : -9999);
  const entry: TokenLogprob = { token: piece(token), logprob: log(next?.confidence) };
  if (top > 0) entry.top = [...(next?.probabilities ?? new Map<Token, number>())].slice(0, top).map(([t, p]) => ({ token: piece(t), logprob: log(p) }));
  return entry;
}

/** How many leading tokens two token lists share. */
export function sharedPrefix(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

import { RbeeError } from "../protocol/errors.ts";
import type { MemoryEstimate } from "./memory-estimate.ts";
import type { PlacementDecision } from "./placement.ts";

/** What a spawn asks of a worker's context: a fixed size (`--ctx`, models.json), and the least a request needs. */
export interface ContextWish {
  ctx?: number;
  /** The queen's on-demand spawns: the request's prompt plus max_tokens. */
  min?: number;
}

/** The context when memory is short: the model's, at most this (the worker's own default). */
export const FALLBACK_CONTEXT = 4096;

/**
 * The contexts to try per slot, largest first. Asked for a size: that size (raised to what the
 * request needs). Else the model's training context, halved while memory is short, down to the
 * fallback: the default is the model's full context when memory allows.
 */
export function contextCandidates(train: number, wish: ContextWish, model: string): number[] {
  const min = wish.min ?? 0;
  if (min > train) {
    throw new RbeeError(
      "CONTEXT_TOO_LONG",
      `this request needs ${min} tokens of context (its prompt and max_tokens); ${model} was trained for ${train}`,
      `Lower max_tokens or shorten the prompt, so the two fit in ${train} tokens.`,
      400,
    );
  }
  if (wish.ctx) return [Math.max(wish.ctx, min)];
  const floor = Math.max(min, Math.min(train, FALLBACK_CONTEXT));
  const out: number[] = [];
  for (let c = train; c > floor; c = Math.floor(c / 2)) out.push(c);
  out.push(floor);
  return out;
}

/** The estimate for another context size: the KV cache grows with it, weights and scratch do not. */
export function withContext(est: MemoryEstimate, context: number): MemoryEstimate {
  const kv = Math.round((est.kv_bytes * context) / Math.max(1, est.context_per_slot));
  return { ...est, kv_bytes: kv, total_bytes: est.weights_bytes + kv + est.overhead_bytes, context_per_slot: context };
}

/**
 * The largest candidate context that keeps the whole model on its device; the last candidate
 * takes what placement gives it (part on a GPU, or its refusal with the numbers).
 */
export function fitContext(base: MemoryEstimate, candidates: number[], place: (need: MemoryEstimate) => PlacementDecision): { decision: PlacementDecision; need: MemoryEstimate } {
  for (const [i, contextSize] of candidates.entries()) {
    const need = withContext(base, contextSize);
    const last = i === candidates.length - 1;
    try {
      const decision = place(need);
      if (decision.whole || last) return { decision, need };
    } catch (err) {
      if (last) throw err;
    }
  }
  throw new Error("no context candidates");
}

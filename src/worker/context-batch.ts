import type { LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import type { NextInfo, SamplerOptions } from "./generation.ts";

/** What a sample gives: the token (null: none), with what the request asked of it. */
export type StepOutcome = NextInfo & { token: Token | null };

/** One slot of a context: a llama.cpp sequence, and the tokens its KV cache holds. */
export class Slot {
  tokens: Token[] = [];
  constructor(readonly id: number) {}
}

/** A slot's part of one batch: tokens to evaluate, and the sampling after the last (none: no token wanted yet). */
export interface BatchEntry {
  slot: Slot;
  tokens: Token[];
  sample?: { sampler: Sampler; options: SamplerOptions; report?: { probabilities: boolean } };
}

/** A generation's sampler: its random state runs on from token to token, as in llama.cpp's server. */
export interface Sampler {
  applyConfig(config: object): void;
  dispose(): void;
}

type SampleResult = Token | -1 | [token: Token | -1, probabilities: number[] | undefined, confidence: number | undefined];

interface AddonContext {
  initBatch(size: number): void;
  addToBatch(sequenceId: number, firstTokenSequenceIndex: number, tokens: Uint32Array, logitIndexes: Uint32Array): Uint32Array;
  decodeBatch(): Promise<void>;
  sampleToken(batchLogitIndex: number, sampler: Sampler, probabilities?: boolean, confidence?: boolean): Promise<SampleResult>;
  removeTokenCellsFromSequence(sequenceId: number, start: number, end: number): boolean;
  getSequenceKvCacheMinPosition(sequenceId: number): number;
}

interface Internals {
  context: { _ctx?: AddonContext };
  model: { _model?: unknown; _llama?: { _bindings?: { AddonSampler?: new (model: unknown) => Sampler } } };
  sequence: { _resolveSamplerConfig?: (options: SamplerOptions) => object };
}

const NO_LOGITS = new Uint32Array(0);

/**
 * Drives one llama.cpp context through node-llama-cpp's binding: a batch of every slot's
 * tokens, one decode, then a sample per slot that wants a token. node-llama-cpp's own path
 * (`controlledEvaluate` and its batch queue) does the same through locks, a thread reservation,
 * a timer and a new sampler per call; at one token per step that cost 5-7 % of a 2-thread
 * decode here, under load (bench/vs-llama-server.ts). The scheduler calls it one batch at a
 * time, and changes a slot's cache only between batches.
 */
export class ContextBatch {
  readonly slots: Slot[];
  /** The most tokens one batch may carry. */
  readonly batchSize: number;
  /** A new sampler, for one generation. */
  readonly sampler: () => Sampler;
  private readonly ctx: AddonContext;
  private readonly resolveConfig: (options: SamplerOptions) => object;
  /** The options each sampler was last configured with. */
  private readonly applied = new WeakMap<Sampler, SamplerOptions>();
  /** The attention window of a sliding-window model (0: none): its cache drops what lies behind. */
  private readonly window: number;

  constructor(model: LlamaModel, context: LlamaContext, slots: number) {
    const i = { context, model } as unknown as Internals;
    const sequence = context.getSequence() as unknown as Internals["sequence"];
    const AddonSampler = i.model._llama?._bindings?.AddonSampler;
    const ctx = i.context._ctx;
    const resolve = sequence._resolveSamplerConfig;
    if (!ctx || typeof ctx.decodeBatch !== "function" || typeof ctx.getSequenceKvCacheMinPosition !== "function" || !AddonSampler || typeof resolve !== "function") {
      throw new Error("this node-llama-cpp lacks the binding calls rbee decodes with: rbee needs the version in its lockfile");
    }
    this.ctx = ctx;
    this.sampler = () => new AddonSampler(i.model._model);
    // node-llama-cpp's own translation of sampling options (defaults, penalties, grammar state).
    this.resolveConfig = (options) => resolve.call(sequence, options);
    // That sequence only lends its option resolver: the slots are the context's sequence ids
    // 0 … slots-1, which no node-llama-cpp sequence decodes on.
    this.slots = Array.from({ length: slots }, (_, id) => new Slot(id));
    this.batchSize = context.batchSize;
    this.window = model.fileInsights.swaSize ?? 0;
  }

  /**
   * Evaluates the entries as ONE llama.cpp batch (at most batchSize tokens in all), then samples
   * where asked, the samples in parallel. A failed decode rejects; a failed sample fails its entry.
   */
  async decode(entries: BatchEntry[]): Promise<PromiseSettledResult<StepOutcome | undefined>[]> {
    this.ctx.initBatch(entries.reduce((n, e) => n + e.tokens.length, 0));
    const logitIndexes = entries.map((e) => this.ctx.addToBatch(e.slot.id, e.slot.tokens.length, Uint32Array.from(e.tokens), e.sample ? Uint32Array.of(e.tokens.length - 1) : NO_LOGITS)[0]);
    await this.ctx.decodeBatch();
    for (const e of entries) for (const t of e.tokens) e.slot.tokens.push(t);
    return Promise.allSettled(entries.map((e, k) => (e.sample ? this.sample(logitIndexes[k]!, e.sample) : undefined)));
  }

  /**
   * Keeps the first `keep` tokens of a slot's cache and erases the rest; returns how many it
   * kept. It starts over from none where the cache cannot go on from there: recurrent layers
   * cannot be cut mid-way, and a sliding-window model must still hold the window behind `keep`
   * (llama-server's rule).
   */
  truncate(slot: Slot, keep: number): number {
    // Erased to the end even when nothing is to go: a failed decode may have left cells there.
    keep = Math.min(keep, slot.tokens.length);
    const held = this.ctx.getSequenceKvCacheMinPosition(slot.id) <= Math.max(0, keep - this.window);
    if (keep > 0 && held && this.ctx.removeTokenCellsFromSequence(slot.id, keep, -1)) {
      slot.tokens.length = keep;
      return keep;
    }
    this.ctx.removeTokenCellsFromSequence(slot.id, 0, -1);
    slot.tokens = [];
    return 0;
  }

  private async sample(batchLogitIndex: number, { sampler, options, report }: NonNullable<BatchEntry["sample"]>): Promise<StepOutcome> {
    // Configured again only for other options: translating them and the native call took 0.08 ms
    // of the 0.3-0.4 ms between two decodes, measured in process at 1 thread.
    if (this.applied.get(sampler) !== options) {
      sampler.applyConfig(this.resolveConfig(options));
      this.applied.set(sampler, options);
    }
    if (!report) return { token: tokenOf((await this.ctx.sampleToken(batchLogitIndex, sampler)) as Token | -1) };
    const [token, probabilities, confidence] = (await this.ctx.sampleToken(batchLogitIndex, sampler, report.probabilities, true)) as Exclude<SampleResult, number>;
    return { token: tokenOf(token), confidence, probabilities: probabilities && pairs(probabilities) };
  }
}

const tokenOf = (t: Token | -1): Token | null => (t === -1 ? null : t);

/** llama.cpp's [token, probability, token, probability, …], most likely first. */
function pairs(flat: number[]): Map<Token, number> {
  const map = new Map<Token, number>();
  for (let i = 1; i < flat.length; i += 2) map.set(flat[i - 1] as Token, flat[i]!);
  return map;
}

import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import type { NextInfo } from "./generation.ts";

/** What one step gives: the sampled token (null: none), with what the request asked of it. */
export type StepOutcome = NextInfo & { token: Token | null };

/** Options of one step's sampling, as node-llama-cpp's sequences take them. */
export type SamplerOptions = Record<string, unknown>;

interface AddonSampler {
  applyConfig(config: object): void;
  dispose(): void;
}

type SampleResult = Token | -1 | [token: Token | -1, probabilities: number[] | undefined, confidence: number | undefined];

/**
 * The parts of node-llama-cpp 3.22 a step uses. `controlledEvaluate` goes through the same
 * ones, around them making a sampler, taking two locks and disposing the sampler again on
 * every call; for one token at a time that costs ~3 % of a 2-thread decode here
 * (bench/vs-llama-server.ts). Checked once per sequence, so another version fails at load.
 */
interface SequenceInternals {
  _decodeTokens(
    tokens: Token[], logits: boolean[], priority: number, meter: unknown, shift: object,
    mapper: (batchLogitIndex: number) => Promise<StepOutcome>, afterBatch: (length: number) => unknown,
  ): Promise<(StepOutcome | undefined)[]>;
  _tokenMeter: unknown;
  _contextShift: object;
  _resolveSamplerConfig(options: SamplerOptions): object;
  _takeIntervalCheckpointIfNeededAfterBatch(length: number): unknown;
  _context: { _ctx: { sampleToken(index: number, sampler: AddonSampler, probabilities?: boolean, confidence?: boolean): Promise<SampleResult> } };
}

/** node-llama-cpp's priority for evaluations that name none. */
const EVALUATION_PRIORITY = 5;

export function assertStepInternals(sequence: LlamaContextSequence): void {
  const s = sequence as unknown as Partial<SequenceInternals>;
  const missing = (["_decodeTokens", "_resolveSamplerConfig", "_takeIntervalCheckpointIfNeededAfterBatch"] as const).filter((k) => typeof s[k] !== "function");
  if (typeof s._context?._ctx?.sampleToken !== "function") missing.push("_context._ctx.sampleToken" as never);
  if (missing.length) throw new Error(`this node-llama-cpp lacks what a generation step uses (${missing.join(", ")}): rbee needs the version in its lockfile`);
}

/**
 * One generation's steps on one sequence: each evaluates some tokens in the context's next
 * batch (node-llama-cpp batches the steps of all sequences issued in one turn of the event
 * loop) and samples the next token from the last one's logits. The sampler lives as long as
 * the generation, as in llama.cpp's server: its random state runs on from token to token, and
 * llama.cpp applies a config only where it changed.
 */
export class SequenceSampler {
  private readonly sampler: AddonSampler;
  private readonly internals: SequenceInternals;

  constructor(model: LlamaModel, sequence: LlamaContextSequence) {
    const bindings = (model as unknown as { _llama: { _bindings: { AddonSampler: new (m: unknown) => AddonSampler } }; _model: unknown });
    this.sampler = new bindings._llama._bindings.AddonSampler(bindings._model);
    this.internals = sequence as unknown as SequenceInternals;
  }

  /** Evaluates `tokens` and samples after the last; `report` asks for its confidence (and the alternatives'). */
  step(tokens: Token[], options: SamplerOptions, report?: { probabilities: boolean }): Promise<StepOutcome> {
    const s = this.internals;
    const logits = tokens.map((_, i) => i === tokens.length - 1);
    const sample = async (batchLogitIndex: number): Promise<StepOutcome> => {
      this.sampler.applyConfig(s._resolveSamplerConfig(options));
      if (!report) return { token: tokenOf((await s._context._ctx.sampleToken(batchLogitIndex, this.sampler)) as Token | -1) };
      const [token, probabilities, confidence] = (await s._context._ctx.sampleToken(batchLogitIndex, this.sampler, report.probabilities, true)) as Exclude<SampleResult, number>;
      return { token: tokenOf(token), confidence, probabilities: probabilities && pairs(probabilities) };
    };
    return s
      ._decodeTokens(tokens, logits, EVALUATION_PRIORITY, s._tokenMeter, s._contextShift, sample, s._takeIntervalCheckpointIfNeededAfterBatch)
      .then((out) => out[tokens.length - 1] ?? { token: null });
  }

  dispose(): void {
    this.sampler.dispose();
  }
}

const tokenOf = (t: Token | -1): Token | null => (t === -1 ? null : t);

/** llama.cpp's [token, probability, token, probability, …], most likely first. */
function pairs(flat: number[]): Map<Token, number> {
  const map = new Map<Token, number>();
  for (let i = 1; i < flat.length; i += 2) map.set(flat[i - 1] as Token, flat[i]!);
  return map;
}

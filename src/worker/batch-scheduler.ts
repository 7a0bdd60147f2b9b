import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { StopMatcher, TokenText } from "./text-stream.ts";
import type { TokenLogprob } from "../protocol/events.ts";
import { DEFAULT_LAST_N, logprobOf, samplerOptions, sharedPrefix, type FinishReason, type GenerationRequest, type GenerationResult, type NextInfo } from "./generation.ts";
import { assertStepInternals, SequenceSampler, type StepOutcome } from "./sequence-step.ts";

interface Job {
  req: GenerationRequest;
  sequence: LlamaContextSequence;
  sampler: SequenceSampler;
  cached: number;
  text: TokenText;
  stops: StopMatcher;
  next: Token[];
  /** The last tokens seen (prompt, then output), for the penalties. */
  recent: Token[];
  /** Log-probabilities of the tokens whose text has not gone out yet. */
  logprobs: TokenLogprob[];
  generated: number;
  /** Its last token is known (max_tokens, or the context is full): it takes part in no further step. */
  last?: boolean;
  /** Its part of the step issued last; a job a stop string ends may still have it running. */
  pending?: Promise<unknown>;
  startedAt: number;
  firstTokenAt?: number;
  resolve: (r: GenerationResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Runs every active generation of one context in lockstep: each tick, every active sequence
 * gets one step (sequence-step.ts), all issued in the same turn of the event loop, so
 * node-llama-cpp puts them in ONE llama.cpp batch (its own `evaluate` loops would take turns
 * instead). A request that arrives mid-way joins at the next tick, its prompt prefill
 * riding in the same batch as the others' next token.
 *
 * A slot keeps its KV after a request (as llama-server's prompt cache does): the next request
 * takes the free slot that shares the longest prefix with its prompt and evaluates only the
 * rest, so the second turn of a conversation does not read the whole history again.
 */
export class BatchScheduler {
  private readonly free: LlamaContextSequence[];
  private readonly active = new Set<Job>();
  private readonly preparing = new Set<Promise<void>>();
  private looping: Promise<void> | undefined;
  /** A free slot's step still running for a request a stop string ended (see release). */
  private readonly settling = new Map<LlamaContextSequence, Promise<void>>();
  /** Ticks run and tokens produced since start: the proof that streams shared steps. */
  steps = 0;
  tokensGenerated = 0;
  /** Prompt tokens actually evaluated (the rest came from a slot's cache). */
  promptTokensEvaluated = 0;

  constructor(private readonly model: LlamaModel, private readonly context: LlamaContext, readonly slots: number) {
    this.free = Array.from({ length: slots }, () => context.getSequence());
    for (const sequence of this.free) assertStepInternals(sequence);
  }

  get busy(): number {
    return this.slots - this.free.length;
  }

  /** Tokens one sequence can hold (prompt + generated). */
  get sequenceContextSize(): number {
    return this.context.contextSize;
  }

  /**
   * Reserve a slot now (or null when all are busy), so a 503 can be answered at once: the free
   * one whose cached tokens share the longest prefix with `prompt`.
   */
  acquire(prompt: readonly Token[] = []): LlamaContextSequence | null {
    if (!this.free.length) return null;
    let best = this.free.length - 1;
    let bestShared = -1;
    this.free.forEach((sequence, i) => {
      const shared = sharedPrefix(sequence.contextTokens, prompt);
      if (shared > bestShared) [best, bestShared] = [i, shared];
    });
    return this.free.splice(best, 1)[0]!;
  }

  generate(sequence: LlamaContextSequence, req: GenerationRequest): Promise<GenerationResult> {
    return new Promise((resolve, reject) => {
      const startedAt = performance.now();
      const prepared = this.reuse(sequence, req.tokens).then(
        (cached) => {
          this.preparing.delete(prepared);
          this.promptTokensEvaluated += req.tokens.length - cached;
          this.active.add({
            req, sequence, resolve, reject, cached, startedAt,
            sampler: new SequenceSampler(this.model, sequence),
            text: new TokenText(this.model),
            stops: new StopMatcher(req.stop),
            next: req.tokens.slice(cached),
            recent: req.tokens.slice(req.tokens.length - (req.sampling.lastN ?? DEFAULT_LAST_N)),
            logprobs: [],
            generated: 0,
          });
          void this.loop();
        },
        (err) => {
          this.preparing.delete(prepared);
          reject(err);
          this.free.push(sequence);
        },
      );
      this.preparing.add(prepared);
    });
  }

  /**
   * Keeps the part of the slot's KV that the prompt starts with and erases the rest; returns
   * how many prompt tokens need no evaluation. One token is always evaluated: the next token
   * is sampled from its logits.
   */
  private async reuse(sequence: LlamaContextSequence, prompt: readonly Token[]): Promise<number> {
    await this.settling.get(sequence);
    const keep = Math.min(sharedPrefix(sequence.contextTokens, prompt), prompt.length - 1);
    if (keep <= 0) await sequence.clearHistory();
    else if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
    return Math.max(0, keep);
  }

  /** Resolves once no generation is running (after cancelling them, before disposing). */
  async idle(): Promise<void> {
    while (this.looping || this.preparing.size || this.settling.size) await Promise.all([this.looping, ...this.preparing, ...this.settling.values()]);
  }

  private loop(): Promise<void> {
    this.looping ??= this.run().finally(() => {
      this.looping = undefined;
      // A request that joined after the last look at `active` still gets its steps.
      if (this.active.size) void this.loop();
    });
    return this.looping;
  }

  /**
   * Each step's next step is issued as soon as its tokens are known, before their text work
   * (detokenizing, stop strings, sending): that work then runs on this thread while llama.cpp
   * decodes on its own, instead of between two decodes.
   */
  private async run(): Promise<void> {
    let running = this.issuable();
    let step = this.issue(running);
    while (step) {
      const outcomes = await step;
      this.steps++;
      const produced: [Job, Token, NextInfo | undefined][] = [];
      running.forEach((job, i) => {
        // A job that ended on a stop string while this step ran: its result is not needed.
        if (!this.active.has(job)) return;
        job.pending = undefined;
        const outcome = outcomes[i]!;
        if (outcome.status === "rejected") return this.fail(job, outcome.reason);
        const { token } = outcome.value;
        if (token == null || this.model.isEogToken(token)) return this.finish(job, "stop");
        this.advance(job, token);
        produced.push([job, token, outcome.value]);
      });
      running = this.issuable();
      step = this.issue(running);
      for (const [job, token, next] of produced) this.accept(job, token, next);
    }
  }

  /** The jobs that take part in the next step: cancelled ones end here, finished ones are gone. */
  private issuable(): Job[] {
    for (const job of this.active) if (job.req.signal.aborted) this.finish(job, "cancelled");
    return [...this.active].filter((job) => !job.last);
  }

  /** Issued synchronously, one per sequence: node-llama-cpp batches them into one decode. */
  private issue(jobs: Job[]): Promise<PromiseSettledResult<StepOutcome>[]> | undefined {
    if (!jobs.length) return undefined;
    return Promise.allSettled(jobs.map((job) => (job.pending = job.sampler.step(job.next, samplerOptions(job.req, job.recent), reportOf(job.req)))));
  }

  /** The token-level bookkeeping of a sampled token, all the next step's input needs. */
  private advance(job: Job, token: Token): void {
    job.generated++;
    job.recent.push(token);
    if (job.recent.length > (job.req.sampling.lastN ?? DEFAULT_LAST_N)) job.recent.shift();
    this.tokensGenerated++;
    job.firstTokenAt ??= performance.now();
    job.next = [token];
    const full = job.sequence.nextTokenIndex + 1 >= this.context.contextSize;
    job.last = job.generated >= job.req.maxTokens || full;
  }

  /**
   * The text work of a token, while the next step runs. A stop string ends the job at once; its
   * slot waits for that step to finish before another request may use it (see release).
   */
  private accept(job: Job, token: Token, next: NextInfo | undefined): void {
    if (job.req.topLogprobs !== undefined) job.logprobs.push(logprobOf((t) => job.text.pieceOf(t), token, next, job.req.topLogprobs));
    const { text, stopped } = job.stops.push(job.text.push(token));
    if (text) this.emit(job, text);
    if (stopped) return this.finish(job, "stop", false);
    if (job.last) this.finish(job, "length");
  }

  /** Text goes out with the log-probabilities of the tokens it came from (held text holds them too). */
  private emit(job: Job, text: string): void {
    if (job.req.topLogprobs === undefined) return job.req.onText(text);
    job.req.onText(text, job.logprobs);
    job.logprobs = [];
  }

  private finish(job: Job, finishReason: FinishReason, flush = true): void {
    if (flush && finishReason !== "cancelled") {
      const rest = job.stops.push(job.text.flush()).text + job.stops.flush();
      if (rest) this.emit(job, rest);
    }
    const end = performance.now();
    const first = job.firstTokenAt ?? end;
    const decodeS = (end - first) / 1000;
    job.resolve({
      tokens: job.generated,
      promptTokens: job.req.tokens.length,
      cachedTokens: job.cached,
      ttftMs: first - job.startedAt,
      tokensPerS: job.generated > 1 && decodeS > 0 ? (job.generated - 1) / decodeS : 0,
      finishReason,
    });
    this.release(job);
  }

  private fail(job: Job, err: unknown): void {
    job.reject(err);
    this.active.delete(job);
    job.sampler.dispose();
    // After a failed step the KV may not match what the slot believes it holds: start clean.
    const cleared: Promise<void> = job.sequence
      .clearHistory()
      .catch(() => {})
      .then(() => {
        this.preparing.delete(cleared);
        this.free.push(job.sequence);
      });
    this.preparing.add(cleared);
  }

  private release(job: Job): void {
    this.active.delete(job);
    // Ended by a stop string while its next step ran: the slot is free at once (a client told
    // "done" may send its next request now), but its next request waits for that step to end.
    // After a failed step the KV may not match what the slot believes it holds: it starts clean.
    const running = job.pending;
    job.pending = undefined;
    if (!running) job.sampler.dispose();
    else {
      const sequence = job.sequence;
      const settled: Promise<void> = running.then(
        () => job.sampler.dispose(),
        () => {
          job.sampler.dispose();
          return sequence.clearHistory().catch(() => {});
        },
      );
      this.settling.set(sequence, settled);
      void settled.then(() => {
        if (this.settling.get(sequence) === settled) this.settling.delete(sequence);
      });
    }
    // The slot keeps its KV: the next request that shares a prefix with it starts from there.
    this.free.push(job.sequence);
  }
}

/** What a step reports beside its token: nothing, or the confidences log-probabilities need. */
function reportOf(req: GenerationRequest): { probabilities: boolean } | undefined {
  return req.topLogprobs === undefined ? undefined : { probabilities: req.topLogprobs > 0 };
}

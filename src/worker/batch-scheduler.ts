import type { LlamaContext, LlamaModel, Token } from "node-llama-cpp";
import { StopMatcher, TokenText } from "./text-stream.ts";
import type { TokenLogprob } from "../protocol/events.ts";
import { DEFAULT_LAST_N, logprobOf, optionsVary, samplerOptions, sharedPrefix, type FinishReason, type GenerationRequest, type GenerationResult, type NextInfo, type SamplerOptions } from "./generation.ts";
import { ContextBatch, type BatchEntry, type Sampler, type Slot, type StepOutcome } from "./context-batch.ts";

interface Job {
  req: GenerationRequest;
  slot: Slot;
  sampler: Sampler;
  cached: number;
  text: TokenText;
  stops: StopMatcher;
  /** Tokens still to evaluate: the prompt's uncached rest, then each sampled token. */
  next: Token[];
  /** The last tokens seen (prompt, then output), for the penalties. */
  recent: Token[];
  /** The sampler's options for every token, when they do not change (see optionsVary). */
  options?: SamplerOptions;
  /** Log-probabilities of the tokens whose text has not gone out yet. */
  logprobs: TokenLogprob[];
  generated: number;
  /** Its last token is known (max_tokens, or the context is full): it takes part in no further step. */
  last?: boolean;
  startedAt: number;
  firstTokenAt?: number;
  resolve: (r: GenerationResult) => void;
  reject: (err: unknown) => void;
}

/** A request given a slot, waiting for the next step to take it in. */
type Joining = Pick<Job, "slot" | "req" | "startedAt" | "resolve" | "reject">;

/**
 * Runs every active generation of one context in lockstep: each step is ONE llama.cpp batch
 * holding every active slot's next token (context-batch.ts). A request that arrives mid-way
 * joins at the next step, its prompt prefill riding in the same batch as the others' next
 * token (a prompt longer than a batch takes several steps, the others' tokens going first).
 *
 * A slot keeps its KV after a request (as llama-server's prompt cache does): the next request
 * takes the free slot that shares the longest prefix with its prompt and evaluates only the
 * rest, so the second turn of a conversation does not read the whole history again. A slot's
 * cache changes only between steps, so a step still running for a request that a stop string
 * ended finishes before the slot's next request cuts its cache.
 */
export class BatchScheduler {
  private readonly batch: ContextBatch;
  private readonly free: Slot[];
  private readonly joining: Joining[] = [];
  private readonly active = new Set<Job>();
  /** The jobs of the step in flight: a job that ends meanwhile keeps its sampler until it lands. */
  private readonly inStep = new Set<Job>();
  /** Work that must not overlap a step (another context of this model decoding), run between steps. */
  private readonly held = new Set<Promise<unknown>>();
  private stepInFlight: Promise<unknown> | undefined;
  private looping: Promise<void> | undefined;
  /** Steps run and tokens produced since start: the proof that streams shared steps. */
  steps = 0;
  tokensGenerated = 0;
  /** Prompt tokens actually evaluated (the rest came from a slot's cache). */
  promptTokensEvaluated = 0;

  constructor(private readonly model: LlamaModel, private readonly context: LlamaContext, readonly slots: number) {
    this.batch = new ContextBatch(model, context, slots);
    this.free = [...this.batch.slots];
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
  acquire(prompt: readonly Token[] = []): Slot | null {
    if (!this.free.length) return null;
    let best = this.free.length - 1;
    let bestShared = -1;
    this.free.forEach((slot, i) => {
      const shared = sharedPrefix(slot.tokens, prompt);
      if (shared > bestShared) [best, bestShared] = [i, shared];
    });
    return this.free.splice(best, 1)[0]!;
  }

  generate(slot: Slot, req: GenerationRequest): Promise<GenerationResult> {
    return new Promise((resolve, reject) => {
      this.joining.push({ slot, req, resolve, reject, startedAt: performance.now() });
      void this.loop();
    });
  }

  /**
   * Runs `work` with no step in flight and holds the next step until it ends: for another
   * context of this model (embeddings, ranking), since llama.cpp's Vulkan backend crashes
   * when two contexts decode at once.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = Promise.resolve(this.stepInFlight).catch(() => {}).then(work);
    const done = run.catch(() => {}).finally(() => this.held.delete(done));
    this.held.add(done);
    return run;
  }

  /** Resolves once no generation is running (after cancelling them, before disposing). */
  async idle(): Promise<void> {
    while (this.looping || this.held.size) await Promise.all([this.looping, ...this.held]);
  }

  private loop(): Promise<void> {
    this.looping ??= this.run().finally(() => {
      this.looping = undefined;
      // A request that joined after the last look still gets its steps.
      if (this.joining.length || this.active.size) void this.loop();
    });
    return this.looping;
  }

  /**
   * Each step's next step is issued as soon as its tokens are known, before their text work
   * (detokenizing, stop strings, sending): that work then runs on this thread while llama.cpp
   * decodes on its own, instead of between two decodes.
   */
  private async run(): Promise<void> {
    let step = await this.next();
    while (step) {
      const { entries, decoding } = step;
      const outcomes = await decoding.catch((err: unknown) => ({ failed: err }));
      this.stepInFlight = undefined;
      this.steps++;
      const produced: [Job, Token, NextInfo][] = [];
      if (!Array.isArray(outcomes)) for (const [, entry] of entries) this.batch.truncate(entry.slot, 0);
      entries.forEach(([job, entry], i) => {
        this.inStep.delete(job);
        // A job that ended on a stop string while this step ran: its result is not needed.
        if (!this.active.has(job)) return job.sampler.dispose();
        if (!Array.isArray(outcomes)) return this.fail(job, outcomes.failed);
        const outcome = outcomes[i]!;
        if (outcome.status === "rejected") return this.fail(job, outcome.reason);
        job.next = job.next.slice(entry.tokens.length);
        // Part of a long prompt: no token yet.
        if (!outcome.value) return;
        const { token } = outcome.value;
        if (token == null || this.model.isEogToken(token)) return this.finish(job, "stop");
        this.advance(job, token);
        produced.push([job, token, outcome.value]);
      });
      const following = this.held.size ? undefined : this.issue();
      for (const [job, token, next] of produced) this.accept(job, token, next);
      step = following ?? (await this.next());
    }
  }

  /** The next step, once work that must run alone is done; undefined when no job needs one. */
  private async next(): Promise<ReturnType<BatchScheduler["issue"]>> {
    while (this.held.size) await Promise.all(this.held);
    return this.issue();
  }

  /** Issues the next step now: requests that wait join, cancelled jobs end, the rest decode. */
  private issue(): { entries: [Job, BatchEntry][]; decoding: Promise<PromiseSettledResult<StepOutcome | undefined>[]> } | undefined {
    this.admit();
    for (const job of this.active) if (job.req.signal.aborted) this.finish(job, "cancelled");
    const entries = this.entries();
    if (!entries.length) return undefined;
    const decoding = this.batch.decode(entries.map(([, entry]) => entry));
    this.stepInFlight = decoding;
    return { entries, decoding };
  }

  /** Requests that wait for a step join now: their slot's cache is cut to what their prompt shares with it. */
  private admit(): void {
    for (const { slot, req, startedAt, resolve, reject } of this.joining.splice(0)) {
      const keep = Math.min(sharedPrefix(slot.tokens, req.tokens), req.tokens.length - 1);
      // One token is always evaluated: the first token is sampled from its logits.
      const cached = this.batch.truncate(slot, Math.max(0, keep));
      this.promptTokensEvaluated += req.tokens.length - cached;
      this.active.add({
        req, slot, resolve, reject, cached, startedAt,
        sampler: this.batch.sampler(),
        text: new TokenText(this.model),
        stops: new StopMatcher(req.stop),
        next: req.tokens.slice(cached),
        recent: req.tokens.slice(req.tokens.length - (req.sampling.lastN ?? DEFAULT_LAST_N)),
        options: optionsVary(req) ? undefined : samplerOptions(req, []),
        logprobs: [],
        generated: 0,
      });
    }
  }

  /**
   * The next step's entries, within one batch: every job's next token first, then prompt
   * prefill in the room left. A job whose prompt does not fit whole evaluates a part, unsampled.
   */
  private entries(): [Job, BatchEntry][] {
    let room = this.batch.batchSize;
    const out: [Job, BatchEntry][] = [];
    const ready = [...this.active].filter((job) => !job.last);
    for (const job of [...ready.filter((j) => j.next.length === 1), ...ready.filter((j) => j.next.length > 1)]) {
      const n = Math.min(job.next.length, room);
      if (n <= 0) break;
      room -= n;
      const whole = n === job.next.length;
      const sample = whole ? { sampler: job.sampler, options: job.options ?? samplerOptions(job.req, job.recent), report: reportOf(job.req) } : undefined;
      out.push([job, { slot: job.slot, tokens: job.next.slice(0, n), sample }]);
      this.inStep.add(job);
    }
    return out;
  }

  /** The token-level bookkeeping of a sampled token, all the next step's input needs. */
  private advance(job: Job, token: Token): void {
    job.generated++;
    job.recent.push(token);
    if (job.recent.length > (job.req.sampling.lastN ?? DEFAULT_LAST_N)) job.recent.shift();
    this.tokensGenerated++;
    job.firstTokenAt ??= performance.now();
    job.next = [token];
    const full = job.slot.tokens.length + 1 >= this.context.contextSize;
    job.last = job.generated >= job.req.maxTokens || full;
  }

  /** The text work of a token, while the next step runs. A stop string ends the job at once. */
  private accept(job: Job, token: Token, next: NextInfo): void {
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

  /** After a failed step the slot's cache may not hold what it believes: it starts clean. */
  private fail(job: Job, err: unknown): void {
    job.reject(err);
    this.batch.truncate(job.slot, 0);
    this.release(job);
  }

  /**
   * The slot is free at once (a client told "done" may send its next request now) and keeps
   * its KV for the next request that shares a prefix with it. A job whose step is still in
   * flight (ended by a stop string) gives back its sampler when that step lands.
   */
  private release(job: Job): void {
    this.active.delete(job);
    if (!this.inStep.has(job)) job.sampler.dispose();
    this.free.push(job.slot);
  }
}

/** What a step reports beside its token: nothing, or the confidences log-probabilities need. */
function reportOf(req: GenerationRequest): { probabilities: boolean } | undefined {
  return req.topLogprobs === undefined ? undefined : { probabilities: req.topLogprobs > 0 };
}

import type { LlamaEmbeddingContext } from "node-llama-cpp";
import { z } from "zod";
import { readJsonBody } from "./json-body.ts";
import { RbeeError } from "../protocol/errors.ts";
import type { LoadedModel } from "./model-loader.ts";

/** Body of `POST /v1/embeddings`: texts to embed, in order. */
export const EmbeddingRequest = z.object({ input: z.array(z.string()).min(1).max(256) }).strict();

/** The answer: one L2-normalised vector per input (as llama-server and Ollama give them). */
export interface EmbeddingResult {
  embeddings: number[][];
  prompt_tokens: number;
}

/**
 * Embeddings from the worker's model. The embedding context is made on first use (it costs
 * memory a chat-only worker never needs) with the worker's context size; requests take turns
 * on it, since one context embeds one text at a time.
 */
export class Embedder {
  private context: Promise<LlamaEmbeddingContext> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly loaded: LoadedModel,
    private readonly contextSize: number,
  ) {}

  async handle(req: Request): Promise<Response> {
    const { input } = await readJsonBody(req, EmbeddingRequest, '{"input": ["…"]}');
    const { model } = this.loaded;
    const counts = input.map((text) => model.tokenize(text).length);
    counts.forEach((n, i) => {
      if (n === 0) throw new RbeeError("EMPTY_INPUT", `input[${i}] has no tokens`, "Send non-empty texts.");
      if (n >= this.contextSize) throw new RbeeError("INPUT_TOO_LONG", `input[${i}] is ${n} tokens; this worker embeds at most ${this.contextSize - 1}`, "Shorten it, or start the worker with a larger --ctx.");
    });
    const result = this.queue.then(() => this.embed(input));
    this.queue = result.catch(() => {});
    const embeddings = await result;
    return Response.json({ embeddings, prompt_tokens: counts.reduce((a, b) => a + b, 0) } satisfies EmbeddingResult);
  }

  private async embed(texts: string[]): Promise<number[][]> {
    this.context ??= this.loaded.model.createEmbeddingContext({ contextSize: this.contextSize, threads: this.loaded.threads });
    const context = await this.context;
    const out: number[][] = [];
    for (const text of texts) out.push(normalise((await context.getEmbeddingFor(text)).vector));
    return out;
  }

  async dispose(): Promise<void> {
    await (await this.context?.catch(() => undefined))?.dispose();
  }
}

function normalise(v: readonly number[]): number[] {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}

import type { LlamaRankingContext } from "node-llama-cpp";
import { z } from "zod";
import { readJsonBody } from "./json-body.ts";
import { RbeeError } from "../protocol/errors.ts";
import type { LoadedModel } from "./model-loader.ts";

/** Body of `POST /v1/rank`: one query and the documents to score against it. */
export const RankRequest = z.object({ query: z.string().min(1), documents: z.array(z.string()).min(1).max(256) }).strict();

/** The answer: one relevance score in 0…1 per document, in the documents' order. */
export interface RankResult {
  scores: number[];
  prompt_tokens: number;
}

/**
 * Relevance scores from a reranker model (a GGUF with a classification head, `cls.*`, as
 * llama-server's --reranking takes). The ranking context is made on first use, with the
 * worker's context size; requests take turns on it. A model without that head is refused at
 * once, before any context is made.
 */
export class Ranker {
  private context: Promise<LlamaRankingContext> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly loaded: LoadedModel,
    private readonly contextSize: number,
    private readonly modelId: string,
  ) {}

  async handle(req: Request): Promise<Response> {
    const { query, documents } = await readJsonBody(req, RankRequest, '{"query": "…", "documents": ["…"]}');
    const { model } = this.loaded;
    if (!model.fileInsights.supportsRanking) {
      throw new RbeeError("RANKING_NOT_SUPPORTED", `${this.modelId} cannot rank documents: it has no ranking (classification) head`, "Use a reranker model (e.g. a bge-reranker or Qwen3-Reranker GGUF).", 400);
    }
    const queryTokens = model.tokenize(query).length;
    const counts = documents.map((d) => queryTokens + model.tokenize(d).length);
    counts.forEach((n, i) => {
      if (n >= this.contextSize - 4) throw new RbeeError("INPUT_TOO_LONG", `the query and documents[${i}] are ${n} tokens; this worker ranks at most ${this.contextSize - 4} together`, "Shorten the document, or start the worker with a larger --ctx.");
    });
    const result = this.queue.then(async () => (await this.rankingContext()).rankAll(query, documents));
    this.queue = result.catch(() => {});
    const scores = await result;
    return Response.json({ scores, prompt_tokens: counts.reduce((a, b) => a + b, 0) } satisfies RankResult);
  }

  private rankingContext(): Promise<LlamaRankingContext> {
    this.context ??= this.loaded.model.createRankingContext({ contextSize: this.contextSize, threads: this.loaded.threads });
    return this.context;
  }

  async dispose(): Promise<void> {
    await (await this.context?.catch(() => undefined))?.dispose();
  }
}

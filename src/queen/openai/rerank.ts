import type { Context } from "hono";
import { z } from "zod";
import { Operation, type OperationOf } from "../../protocol/operations.ts";
import { describeZodError } from "../../http/errors.ts";
import { runRank, type InferDeps } from "../infer-request.ts";
import { ParamError } from "./openai-errors.ts";
import { parse } from "./to-infer.ts";

/** llama-server's rerank body (Jina's and Cohere's shape): a query, documents, how many to return. */
const RerankRequest = z.object({
  model: z.string().min(1).max(256),
  query: z.string().min(1),
  documents: z.array(z.string()).min(1).max(256),
  top_n: z.number().int().min(1).nullish(),
  return_documents: z.boolean().nullish(),
});

/**
 * `POST /v1/rerank` (and `/rerank`, as llama-server answers both): each document's relevance to
 * the query from a reranker model, best first, as a `rank` job. A model that cannot rank is
 * refused by its worker (RANKING_NOT_SUPPORTED, 400).
 */
export async function handleRerank(c: Context, body: unknown, deps: InferDeps): Promise<Response> {
  const req = parse(RerankRequest, body);
  const op = Operation.safeParse({ operation: "rank", model: req.model, query: req.query, documents: req.documents });
  if (!op.success) throw new ParamError("INVALID_REQUEST", describeZodError(op.error), String(op.error.issues[0]?.path[0] ?? "") || null);
  const out = await runRank(c, op.data as OperationOf<"rank">, deps);
  const results = out.scores
    .map((relevance_score, index) => ({ index, relevance_score, ...(req.return_documents ? { document: { text: req.documents[index]! } } : {}) }))
    .sort((a, b) => b.relevance_score - a.relevance_score)
    .slice(0, req.top_n ?? undefined);
  return c.json({ object: "list", model: req.model, results, usage: { prompt_tokens: out.prompt_tokens, total_tokens: out.prompt_tokens } }, 200, out.headers);
}

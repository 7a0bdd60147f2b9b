import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeDemoModel } from "../../src/model/gguf-writer.ts";
import { importDir } from "../../src/model/model-folders.ts";
import { startTestQueen, type TestQueen } from "../helpers/queen-harness.ts";
import { createDemoModel } from "../helpers/openai-queen.ts";

type Ranked = { object: string; model: string; results: { index: number; relevance_score: number; document?: { text: string } }[]; usage: { prompt_tokens: number; total_tokens: number } };

const QUERY = "where do bees live";
const DOCUMENTS = ["the hive is home", "queen of honey", "run to the worker", "it is on the hive"];

/**
 * llama-server's ranking route on the queen: the demo chat model is refused in OpenAI's error
 * shape; a generated reranker (Qwen3 architecture with a classification head, random weights)
 * gives real llama.cpp scores, best first.
 */
describe("POST /v1/rerank and /rerank", () => {
  let t: TestQueen;
  const rerank = async (body: unknown, path = "/v1/rerank") => {
    const res = await fetch(`${t.queen.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Ranked & { error?: { code: string; message: string; type: string; param: string | null } } };
  };

  beforeAll(async () => {
    t = await startTestQueen();
    await createDemoModel(t);
    const path = join(importDir(), "demo-rerank.gguf");
    writeDemoModel(path, { reranker: true, seed: 7 });
    const added = await t.run({ operation: "model_download", hive_id: "localhost", model: path });
    if (added.outcome.state !== "completed") throw new Error(`reranker: ${JSON.stringify(added.outcome)}`);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("a model without a ranking head gets a clear 400 in OpenAI's error shape", async () => {
    const { status, body } = await rerank({ model: "demo-tiny", query: QUERY, documents: DOCUMENTS });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: "ranking_not_supported", type: "invalid_request_error", message: expect.stringMatching(/demo-tiny cannot rank documents: it has no ranking \(classification\) head\. Use a reranker model/) });
  });

  it("a reranker scores every document, best first, top_n of them, the same each time", async () => {
    const all = await rerank({ model: "demo-rerank", query: QUERY, documents: DOCUMENTS });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ object: "list", model: "demo-rerank" });
    expect(all.body.results.map((r) => r.index).sort()).toEqual([0, 1, 2, 3]);
    const scores = all.body.results.map((r) => r.relevance_score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.every((s) => s > 0 && s < 1)).toBe(true);
    expect(new Set(scores).size).toBeGreaterThan(1);
    expect(all.body.usage.prompt_tokens).toBeGreaterThan(0);

    const top = await rerank({ model: "demo-rerank", query: QUERY, documents: DOCUMENTS, top_n: 2, return_documents: true }, "/rerank");
    expect(top.status).toBe(200);
    expect(top.body.results).toEqual(all.body.results.slice(0, 2).map((r) => ({ ...r, document: { text: DOCUMENTS[r.index] } })));
  });

  it("a bad body is refused with the parameter named, and nothing runs", async () => {
    const missing = await rerank({ model: "demo-rerank", query: QUERY });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: "invalid_request", param: "documents" });
    const unknown = await rerank({ model: "demo-rerank", query: QUERY, documents: DOCUMENTS, rank_fields: ["text"] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: "unsupported_parameter", param: "rank_fields" });
  });
});

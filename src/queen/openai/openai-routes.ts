import { Hono } from "hono";
import type { JobRegistry } from "../../jobs/job-registry.ts";
import type { Executor } from "../../jobs/job-runner.ts";
import type { HiveDirectory } from "../hive-directory.ts";
import type { InferScheduler } from "../infer-scheduler.ts";
import { handleCompletion, readBody } from "./completion-handler.ts";
import { handleEmbeddings } from "./embeddings.ts";
import { handleRerank } from "./rerank.ts";
import { listModels } from "../model-catalog.ts";
import { openAiErrorResponse, ParamError } from "./openai-errors.ts";
import { CHAT, TEXT } from "./response-shapes.ts";
import { chatToInfer, completionToInfer } from "./to-infer.ts";

export interface OpenAiDeps {
  registry: JobRegistry;
  /** The queen's executor: each completion runs as an `infer` job through it. */
  executor: Executor;
  hives: HiveDirectory;
  /** Lets a stream start as soon as its request is scheduled (else at its first token). */
  scheduler?: InferScheduler;
}

/**
 * The OpenAI-compatible API on the queen: `GET /v1/models`, `GET /v1/models/:id`,
 * `POST /v1/chat/completions`, `POST /v1/completions`, `POST /v1/embeddings`, `POST /v1/rerank`. Every error answers in OpenAI's
 * shape, `{error: {message, type, param, code}}`, so the official clients raise their own
 * error classes (NotFoundError for an unknown model …).
 */
export function openAiRoutes(deps: OpenAiDeps): Hono {
  const app = new Hono();
  app.onError((err) => openAiErrorResponse(err));

  app.get("/v1/models", async (c) => c.json({ object: "list", data: await listModels(deps.hives, c.req.raw.signal) }));

  app.get("/v1/models/:model", async (c) => {
    const id = c.req.param("model");
    const model = (await listModels(deps.hives, c.req.raw.signal)).find((m) => m.id === id);
    if (!model) throw new ParamError("MODEL_NOT_FOUND", `The model \`${id}\` does not exist on any online hive. See GET /v1/models`, "model", 404);
    return c.json(model);
  });

  app.post("/v1/chat/completions", (c) => handleCompletion(c, CHAT, chatToInfer, deps));
  app.post("/v1/completions", (c) => handleCompletion(c, TEXT, completionToInfer, deps));
  app.post("/v1/embeddings", async (c) => handleEmbeddings(c, await readBody(c), deps));
  // llama-server's ranking route, under both of its names.
  for (const path of ["/v1/rerank", "/rerank"]) app.post(path, async (c) => handleRerank(c, await readBody(c), deps));
  return app;
}

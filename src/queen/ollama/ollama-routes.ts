import { Hono, type Context } from "hono";
import { readJson } from "../../http/errors.ts";
import { RbeeError } from "../../protocol/errors.ts";
import type { HiveDirectory } from "../hive-directory.ts";
import { openInfer, runEmbed, safeStream, type InferDeps } from "../infer-request.ts";
import { listModelRecords, withAliases } from "../model-catalog.ts";
import type { InferOutcome } from "../infer-job.ts";
import { readToolAnswer } from "../tools/tool-calling.ts";
import { chatToInfer, embedToOp, generateToInfer, modelIdOf, type OllamaInfer } from "./ollama-requests.ts";
import { handlePull } from "./ollama-pull.ts";
import { loadOrUnload } from "./ollama-load.ts";
import { finalFields, ollamaCalls, OLLAMA_API_VERSION, showOf, tagOf } from "./ollama-shapes.ts";

export interface OllamaDeps extends InferDeps {
  hives: HiveDirectory;
}

/** Ollama's error shape: `{error: "message"}` (the hint appended), with the status rbee chose. */
function ollamaError(err: unknown): Response {
  const e = RbeeError.from(err);
  const status = e.status >= 400 && e.status <= 599 ? e.status : 500;
  return Response.json({ error: e.hint ? `${e.message}. ${e.hint}` : e.message }, { status, headers: status === 503 ? { "retry-after": "1" } : {} });
}

const encoder = new TextEncoder();
const line = (o: object) => encoder.encode(`${JSON.stringify(o)}\n`);
const NDJSON = { "content-type": "application/x-ndjson", "cache-control": "no-cache" };

/**
 * The Ollama API on the queen's port (`/api/*`), for Open WebUI, editor plugins and the
 * `ollama` clients: models from every online hive, chat and generate as queen `infer` jobs,
 * NDJSON when streamed (Ollama's default) or one object.
 */
export function ollamaRoutes(deps: OllamaDeps): Hono {
  const app = new Hono();
  app.onError((err) => ollamaError(err));
  const model = async (c: Context, name: string) => {
    const found = withAliases(await listModelRecords(deps.hives, c.req.raw.signal)).find((m) => m.id === modelIdOf(name));
    if (!found) throw new RbeeError("MODEL_NOT_FOUND", `model "${name}" not found`, "See `rbee model list`, or `rbee model download …`.", 404);
    return found;
  };

  app.get("/api/version", (c) => c.json({ version: OLLAMA_API_VERSION }));
  app.get("/api/tags", async (c) => c.json({ models: withAliases(await listModelRecords(deps.hives, c.req.raw.signal)).map(tagOf) }));
  app.get("/api/ps", async (c) => {
    const records = await listModelRecords(deps.hives, c.req.raw.signal);
    // When each model unloads: its last worker's keep-alive; busy or kept for good, a day from now.
    const expires = new Map<string, number>();
    for (const w of deps.scheduler?.workers() ?? []) {
      if (w.state !== "ready") continue;
      const at = Date.now() + (w.unload_in_s !== undefined ? w.unload_in_s * 1000 : 24 * 3600_000);
      expires.set(w.model, Math.max(at, expires.get(w.model) ?? 0));
    }
    return c.json({ models: records.filter((m) => expires.has(m.id)).map((m) => ({ ...tagOf(m), expires_at: new Date(expires.get(m.id)!).toISOString(), size_vram: 0 })) });
  });
  app.post("/api/show", async (c) => {
    const body = (await readJson(c)) as { model?: unknown; name?: unknown };
    const name = typeof body.model === "string" ? body.model : typeof body.name === "string" ? body.name : undefined;
    if (!name) throw new RbeeError("INVALID_REQUEST", "give the model's name in `model`");
    return c.json(showOf(await model(c, name)));
  });
  for (const [kind, toInfer] of [["chat", chatToInfer], ["generate", generateToInfer]] as const) {
    app.post(`/api/${kind}`, async (c) => {
      const req = toInfer(await readJson(c));
      if (!("load" in req)) return answer(c, req, kind, deps);
      await model(c, req.load);
      return loadOrUnload(c, req, kind, deps);
    });
  }
  app.post("/api/pull", async (c) => handlePull(c, await readJson(c), deps));
  app.post("/api/embed", async (c) => {
    const startedAt = Date.now();
    const op = embedToOp(await readJson(c));
    const out = await runEmbed(c, op, deps);
    return c.json({ model: op.model, embeddings: out.embeddings, total_duration: (Date.now() - startedAt) * 1e6, load_duration: 0, prompt_eval_count: out.prompt_tokens }, 200, out.headers);
  });
  app.all("/api/*", (c) => ollamaError(new RbeeError("NOT_FOUND", `no route ${c.req.method} ${c.req.path}`, "rbee serves /api/tags, ps, show, version, pull, embed, chat and generate.", 404)));
  return app;
}

async function answer(c: Context, req: OllamaInfer, kind: "chat" | "generate", deps: InferDeps): Promise<Response> {
  const startedAt = Date.now();
  const infer = openInfer(c, req.op, deps);
  const piece = (text: string) => {
    const head = { model: req.model, created_at: new Date().toISOString() };
    return kind === "chat" ? { ...head, message: { role: "assistant", content: text }, done: false } : { ...head, response: text, done: false };
  };
  const last = (text: string, outcome: InferOutcome) => {
    const read = req.tools ? readToolAnswer(text, req.tools) : { content: text, calls: [] };
    const body = piece(read.content ?? "");
    if (read.calls.length && "message" in body) Object.assign(body.message, { tool_calls: ollamaCalls(read.calls) });
    return { ...body, ...finalFields(outcome, startedAt, read.calls.length) };
  };
  if (!req.stream) {
    const outcome = await infer.run.outcome;
    return c.json(last(infer.buffered.join(""), outcome), 200, infer.headers);
  }
  await infer.admitted;
  const stream = safeStream(
    (send, close) => {
      // Under tools the answer is JSON read whole: it goes out in the last line.
      const held: string[] = req.tools ? infer.buffered : [];
      if (!req.tools) for (const text of infer.buffered) send(line(piece(text)));
      infer.follow((text) => (req.tools ? held.push(text) : send(line(piece(text)))));
      infer.run.outcome.then(
        (outcome) => {
          send(line(last(held.join(""), outcome)));
          close();
        },
        (err) => {
          send(line({ error: RbeeError.from(err).message }));
          close();
        },
      );
    },
    () => infer.run.cancel("the client disconnected"),
  );
  return new Response(stream, { headers: { ...NDJSON, ...infer.headers } });
}

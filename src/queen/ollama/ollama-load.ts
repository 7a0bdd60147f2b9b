import type { Context } from "hono";
import { Operation, type OperationOf } from "../../protocol/operations.ts";
import { startInferJob } from "../infer-job.ts";
import type { InferDeps } from "../infer-request.ts";
import type { OllamaLoad } from "./ollama-requests.ts";

/**
 * Ollama's load request. A model is loaded on its first real request (a hive keeps a started
 * engine ready), so a load only confirms the model exists. An unload (keep_alive 0, as
 * `ollama stop` sends) stops the model's idle workers on every hive, each as a `worker_stop`
 * job; a worker still answering a request keeps its keep-alive and unloads when that runs out.
 */
export async function loadOrUnload(c: Context, req: OllamaLoad, kind: "chat" | "generate", deps: InferDeps): Promise<Response> {
  if (req.unload) await stopIdleWorkers(c, req.load, deps);
  const head = { model: req.load, created_at: new Date().toISOString() };
  const body = kind === "chat" ? { ...head, message: { role: "assistant", content: "" } } : { ...head, response: "" };
  return c.json({ ...body, done: true, done_reason: req.unload ? "unload" : "load" });
}

async function stopIdleWorkers(c: Context, model: string, deps: InferDeps): Promise<void> {
  const idle = (deps.scheduler?.workers() ?? []).filter((w) => w.model === model && w.state === "ready" && w.busy === 0);
  await Promise.all(
    idle.map((w) => {
      const op = Operation.parse({ operation: "worker_stop", hive_id: w.hive_id, worker_id: w.worker_id }) as OperationOf<"worker_stop">;
      return startInferJob(deps.registry, deps.executor, op, () => {}, { correlationId: c.req.header("x-correlation-id") }).outcome;
    }),
  );
}

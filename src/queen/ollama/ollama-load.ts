import type { Context } from "hono";
import { Operation, type OperationOf } from "../../protocol/operations.ts";
import { startInferJob } from "../infer-job.ts";
import type { InferDeps } from "../infer-request.ts";
import type { OllamaLoad } from "./ollama-requests.ts";

/**
 * Ollama's load request, answered once it is done. A load is a one-token inference: the
 * scheduler then does what a first request does (a worker from the standby, placed where the
 * model fits, with the request's keep_alive, -1 keeping it for good), and the worker has
 * decoded once. An unload (keep_alive 0, as `ollama stop` sends) stops the model's idle workers
 * on every hive, each as a `worker_stop` job; a worker still answering a request keeps its
 * keep-alive and unloads when that runs out.
 */
export async function loadOrUnload(c: Context, req: OllamaLoad, kind: "chat" | "generate", deps: InferDeps): Promise<Response> {
  const correlationId = c.req.header("x-correlation-id");
  const jobs = req.unload ? stopsOfIdleWorkers(req.load, deps) : [Operation.parse({ operation: "infer", model: req.load, prompt: " ", max_tokens: 1, ...(req.keepAlive !== undefined ? { keep_alive: req.keepAlive } : {}) }) as OperationOf<"infer">];
  await Promise.all(jobs.map((op) => startInferJob(deps.registry, deps.executor, op, () => {}, { correlationId }).outcome));
  const head = { model: req.load, created_at: new Date().toISOString() };
  const body = kind === "chat" ? { ...head, message: { role: "assistant", content: "" } } : { ...head, response: "" };
  return c.json({ ...body, done: true, done_reason: req.unload ? "unload" : "load" });
}

function stopsOfIdleWorkers(model: string, deps: InferDeps): OperationOf<"worker_stop">[] {
  const idle = (deps.scheduler?.workers() ?? []).filter((w) => w.model === model && w.state === "ready" && w.busy === 0);
  return idle.map((w) => Operation.parse({ operation: "worker_stop", hive_id: w.hive_id, worker_id: w.worker_id }) as OperationOf<"worker_stop">);
}

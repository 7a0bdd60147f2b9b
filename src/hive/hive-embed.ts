import { narrate } from "../narration/narrate.ts";
import { RbeeError, ErrorBody } from "../protocol/errors.ts";
import type { OperationOf } from "../protocol/operations.ts";
import type { ModelService } from "../model/model-service.ts";
import { deadlineHeaders } from "../jobs/deadline.ts";
import type { WorkerPool } from "./worker-pool.ts";
import { chooseWorker } from "./hive-infer.ts";

/**
 * A one-answer request to the worker chosen as for `infer` (embed, rank): it holds a slot
 * while it runs; the worker's own errors keep their code and status.
 */
async function askWorker<T>(op: { model: string; worker_id?: string; keep_alive?: string | number }, path: string, body: unknown, pool: WorkerPool, models: ModelService, signal: AbortSignal, deadline?: number): Promise<{ worker_id: string; answer: T }> {
  const worker = await chooseWorker(op, pool, models, signal);
  try {
    let res: Response;
    try {
      const headers = { "content-type": "application/json", authorization: `Bearer ${worker.token}`, ...deadlineHeaders(deadline) };
      res = await fetch(`${worker.url}${path}`, { method: "POST", headers, body: JSON.stringify(body), signal });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new RbeeError("WORKER_UNREACHABLE", `cannot reach the worker at ${worker.url}: ${(err as Error).message}`, "The worker may have crashed; see `rbee worker list`.", 502);
    }
    const answer = (await res.json().catch(() => ({}))) as T;
    if (!res.ok) {
      const parsed = ErrorBody.safeParse(answer);
      if (parsed.success) throw new RbeeError(parsed.data.error.code, parsed.data.error.message, parsed.data.error.hint, res.status);
      throw new RbeeError("WORKER_ERROR", `the worker answered HTTP ${res.status}`, undefined, 502);
    }
    return { worker_id: worker.spec.workerId, answer };
  } finally {
    await pool.end(worker, op.keep_alive);
  }
}

/** `embed` on a hive: the chosen worker embeds the texts; one answer, no stream. */
export async function embedOnHive(op: OperationOf<"embed">, pool: WorkerPool, models: ModelService, signal: AbortSignal, deadline?: number) {
  const { worker_id, answer } = await askWorker<{ embeddings?: number[][]; prompt_tokens?: number }>(op, "/v1/embeddings", { input: op.input }, pool, models, signal, deadline);
  narrate("embed_done", `${op.input.length} input(s) embedded, ${answer.embeddings?.[0]?.length ?? 0} dimensions`, { level: "debug" });
  return { worker_id, model: op.model, embeddings: answer.embeddings ?? [], prompt_tokens: answer.prompt_tokens ?? 0 };
}

/** `rank` on a hive: the chosen worker scores each document against the query (a reranker model). */
export async function rankOnHive(op: OperationOf<"rank">, pool: WorkerPool, models: ModelService, signal: AbortSignal, deadline?: number) {
  const { worker_id, answer } = await askWorker<{ scores?: number[]; prompt_tokens?: number }>(op, "/v1/rank", { query: op.query, documents: op.documents }, pool, models, signal, deadline);
  narrate("rank_done", `${op.documents.length} document(s) ranked`, { level: "debug" });
  return { worker_id, model: op.model, scores: answer.scores ?? [], prompt_tokens: answer.prompt_tokens ?? 0 };
}

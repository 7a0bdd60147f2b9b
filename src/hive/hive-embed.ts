import { narrate } from "../narration/narrate.ts";
import { RbeeError, ErrorBody } from "../protocol/errors.ts";
import type { OperationOf } from "../protocol/operations.ts";
import type { ModelService } from "../model/model-service.ts";
import { deadlineHeaders } from "../jobs/deadline.ts";
import type { WorkerPool } from "./worker-pool.ts";
import { chooseWorker } from "./hive-infer.ts";

/** `embed` on a hive: the worker chosen as for `infer` embeds the texts; one answer, no stream. */
export async function embedOnHive(op: OperationOf<"embed">, pool: WorkerPool, models: ModelService, signal: AbortSignal, deadline?: number) {
  const worker = await chooseWorker(op, pool, models, signal);
  try {
    let res: Response;
    try {
      const headers = { "content-type": "application/json", authorization: `Bearer ${worker.token}`, ...deadlineHeaders(deadline) };
      res = await fetch(`${worker.url}/v1/embeddings`, { method: "POST", headers, body: JSON.stringify({ input: op.input }), signal });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new RbeeError("WORKER_UNREACHABLE", `cannot reach the worker at ${worker.url}: ${(err as Error).message}`, "The worker may have crashed; see `rbee worker list`.", 502);
    }
    const body = (await res.json().catch(() => ({}))) as { embeddings?: number[][]; prompt_tokens?: number };
    if (!res.ok) {
      const parsed = ErrorBody.safeParse(body);
      if (parsed.success) throw new RbeeError(parsed.data.error.code, parsed.data.error.message, parsed.data.error.hint, res.status);
      throw new RbeeError("WORKER_ERROR", `the worker answered HTTP ${res.status}`, undefined, 502);
    }
    narrate("embed_done", `${op.input.length} input(s) embedded, ${body.embeddings?.[0]?.length ?? 0} dimensions`, { level: "debug" });
    return { worker_id: worker.spec.workerId, model: op.model, embeddings: body.embeddings ?? [], prompt_tokens: body.prompt_tokens ?? 0 };
  } finally {
    await pool.end(worker, op.keep_alive);
  }
}

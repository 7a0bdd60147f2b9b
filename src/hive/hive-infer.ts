import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import { emitToken } from "../narration/emit.ts";
import type { OperationOf } from "../protocol/operations.ts";
import type { ModelService } from "../model/model-service.ts";
import type { WorkerPool } from "./worker-pool.ts";
import type { WorkerProcess } from "./worker-process.ts";
import { streamFromWorker } from "./worker-inference.ts";
import { constraintsOf } from "../protocol/constraints.ts";
import { workerForRequest } from "./on-demand.ts";

/**
 * `infer` on a hive: the worker the queen named (`worker_id`), else a ready worker for the
 * model with a free slot (least busy first), else a new worker; the worker's tokens go into
 * the job's stream as they come.
 */
export async function inferOnHive(op: OperationOf<"infer">, pool: WorkerPool, models: ModelService, signal: AbortSignal, deadline?: number) {
  const worker = await chooseWorker(op, pool, models, signal);
  const { prompt, messages, max_tokens, temperature, top_p, top_k, min_p, seed, stop } = op;
  try {
    const body = { prompt, messages, max_tokens, temperature, top_p, top_k, min_p, seed, stop, ...constraintsOf(op) };
    const target = { workerId: worker.spec.workerId, url: worker.url!, token: worker.token, stallMs: pool.stallMs };
    const done = await streamFromWorker(target, body, emitToken, signal, deadline).catch((err) => {
      if (err instanceof RbeeError && err.code === "WORKER_HUNG") worker.declareHung(pool.stallMs);
      throw err;
    });
    narrate("infer_done", `${done.tokens} tokens, ${done.tokens_per_s.toFixed(1)} tok/s, first token after ${Math.round(done.ttft_ms)} ms`, { ...done });
    return { worker_id: worker.spec.workerId, model: op.model, ...done };
  } finally {
    await pool.end(worker, op.keep_alive);
  }
}

/**
 * The worker the queen named, else a ready one with a free slot, else a new one (making room
 * for it first). The request has begun on it when this returns: the caller must `pool.end` it.
 */
export async function chooseWorker(op: { model: string; worker_id?: string; keep_alive?: string | number }, pool: WorkerPool, models: ModelService, signal: AbortSignal): Promise<WorkerProcess> {
  const worker = (op.worker_id && namedWorker(pool, op.worker_id, op.model)) || pool.pickReady(op.model);
  if (worker) {
    // Taken at once, in the same tick as the pick: an eviction can no longer choose it.
    pool.begin(worker);
    // When the queen named the worker it already told the story; say it again only in debug.
    const level = worker.spec.workerId === op.worker_id ? "debug" : "info";
    narrate("worker_chosen", `using worker ${worker.spec.workerId} (${worker.busy - 1}/${worker.spec.slots} slots busy)`, { level, worker_id: worker.spec.workerId });
    return worker;
  }
  const model = models.get(op.model);
  narrate("worker_needed", `no ready worker has a free slot for ${op.model}: spawning one`);
  return workerForRequest(pool, { modelId: model.id, modelPath: model.path, device: "auto", slots: 1, keepAlive: op.keep_alive }, signal);
}

/**
 * The worker the queen's scheduler chose, when it is still here and ready for this model
 * (the queen counts the slots; a worker that vanished meanwhile falls back to our own pick).
 */
function namedWorker(pool: WorkerPool, workerId: string, model: string): WorkerProcess | undefined {
  try {
    const worker = pool.get(workerId);
    return worker.state === "ready" && worker.spec.modelId === model ? worker : undefined;
  } catch {
    return undefined;
  }
}

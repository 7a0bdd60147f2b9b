import { narrate } from "../narration/narrate.ts";
import { audit } from "../security/audit-log.ts";
import type { HandlerTable } from "../jobs/dispatch.ts";
import type { ModelService } from "../model/model-service.ts";
import { engineHandlers, fitOnHive, placeOnHive } from "../engine/engine-handlers.ts";
import { RbeeError } from "../protocol/errors.ts";
import { detectCapabilities } from "./capabilities.ts";
import { inferOnHive } from "./hive-infer.ts";
import { embedOnHive, rankOnHive } from "./hive-embed.ts";
import { spawnOnDemand } from "./on-demand.ts";
import { parseKeepAlive } from "../config/timeouts.ts";
import type { WorkerPool } from "./worker-pool.ts";
import { copyPlan } from "../model/model-files.ts";

/** The operations a hive runs itself: devices, models, workers, inference. */
export function hiveHandlers(hiveId: string, pool: WorkerPool, models: ModelService): HandlerTable {
  return {
    hive_status: async () => {
      const caps = await detectCapabilities();
      narrate("hive_status", `hive ${hiveId}: ${caps.devices.map((d) => d.id).join(", ")}; ${pool.list().length} worker(s)`);
      return { hive_id: hiveId, ...caps, workers: pool.list() };
    },
    worker_spawn: async (op, { signal }) => {
      const model = models.get(op.model);
      const common = { modelId: model.id, modelPath: model.path, slots: op.slots, restart: op.restart, ...(op.chat_template ? { chatTemplate: op.chat_template } : {}) };
      const wish = { ctx: op.ctx, min: op.min_ctx };
      // Started for a request: room is made for it first (idle on-demand workers may go).
      if (op.on_demand) return (await spawnOnDemand(pool, { ...common, device: op.device, gpuLayers: op.gpu_layers, keepAlive: op.keep_alive, wish }, signal)).info();
      const placed = await placeOnHive(hiveId, model.path, op.device, op.slots, op.gpu_layers, wish, model.id);
      // By hand: it stays unless given a keep-alive.
      const worker = await pool.spawn({ ...common, device: placed.device, gpuLayers: placed.gpuLayers, contextSize: placed.contextSize, ...(op.keep_alive !== undefined ? { keepAliveMs: parseKeepAlive(op.keep_alive) } : {}) });
      return worker.info();
    },
    worker_list: async () => pool.list(),
    worker_get: async (op) => pool.get(op.worker_id).info(),
    worker_stop: async (op) => pool.stop(op.worker_id),
    model_download: async (op, { signal }) => {
      const record = await models.download(op.model, { signal });
      audit("model_download", { hive_id: hiveId, model: record.id, source: record.source, sha256: record.sha256 });
      return record;
    },
    model_list: async () => models.list(),
    // For the queen's placement across hives: a hive without the model says so (not an error).
    model_fit: async (op) => {
      let model;
      try {
        model = models.get(op.model);
      } catch (err) {
        if (err instanceof RbeeError && err.code === "MODEL_NOT_FOUND") return { hive_id: hiveId, has_model: false };
        throw err;
      }
      return { hive_id: hiveId, has_model: true, ...(await fitOnHive(model.path, op.device, op.slots, op.ctx)) };
    },
    model_get: async (op) => models.get(op.model),
    model_delete: async (op) => {
      const record = await models.delete(op.model, { inUse: (id) => pool.uses(id) });
      audit("model_delete", { hive_id: hiveId, model: record.id });
      return record;
    },
    // The target's half of `model copy`: the files come from the queen's copy route, checked by sha256.
    model_receive: async (op, { signal }) => {
      const record = await models.fetchPlan(copyPlan(op, models.transferTimings), signal);
      audit("model_receive", { hive_id: hiveId, model: record.id, source: record.source, sha256: record.sha256 });
      return record;
    },
    infer: (op, { signal, deadline }) => inferOnHive(op, pool, models, signal, deadline),
    ...engineHandlers(hiveId),
    embed: (op, { signal, deadline }) => embedOnHive(op, pool, models, signal, deadline),
    rank: (op, { signal, deadline }) => rankOnHive(op, pool, models, signal, deadline),
  };
}

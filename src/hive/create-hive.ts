import { Hono } from "hono";
import { MODEL_FILES_PATH } from "../protocol/model-copy.ts";
import { serveModelFile } from "../model/model-files.ts";
import { executorFor } from "../jobs/dispatch.ts";
import type { Executor } from "../jobs/job-runner.ts";
import { ModelService } from "../model/model-service.ts";
import { writeDemoModel } from "../model/gguf-writer.ts";
import { detectCapabilities } from "./capabilities.ts";
import { hiveHandlers } from "./hive-handlers.ts";
import type { RestartPolicy } from "./restart-policy.ts";
import { stallTimeouts, type StallTimeouts } from "../config/timeouts.ts";
import { WorkerPool, type PoolOptions } from "./worker-pool.ts";
import { ENGINE_UPLOAD_PATH, MODEL_UPLOAD_PATH } from "../protocol/model-upload.ts";
import { receiveEngineUpload } from "../engine/engine-upload.ts";
import { receiveUpload } from "../model/model-upload.ts";

export interface HiveOptions {
  hiveId: string;
  restartPolicy?: RestartPolicy;
  /** Stall timeouts; unset ones come from the environment / config.json (stallTimeouts()). */
  timeouts?: Partial<StallTimeouts>;
  /** Keep a CPU worker process ready with its engine started (the daemons do; see StandbyWorker). */
  standbyWorker?: boolean;
  /** Keep-alive of on-demand workers (default 5 min) and the cap on loaded workers (default none). */
  pool?: PoolOptions;
}

export interface Hive {
  hiveId: string;
  executor: Executor;
  pool: WorkerPool;
  models: ModelService;
  /** Routes a hive adds besides the job API. */
  routes: Hono;
  shutdown: () => Promise<void>;
}

/** A hive's parts, shared by the standalone hive daemon and the queen's embedded one. */
export function createHive(opts: HiveOptions): Hive {
  const timeouts = { ...stallTimeouts(), ...opts.timeouts };
  const pool = new WorkerPool(opts.hiveId, opts.restartPolicy, timeouts.workerStallMs, opts.pool);
  if (opts.standbyWorker) pool.keepStandby();
  const models = new ModelService({ createDemo: async (path, demo) => void writeDemoModel(path, demo), stallMs: timeouts.downloadStallMs });
  const routes = new Hono()
    // A model's files, for the queen to relay to another hive (`rbee model copy`).
    .get(`${MODEL_FILES_PATH}/:id/:index`, (c) => serveModelFile(models.get(c.req.param("id")), models.dir, c.req.param("index"), c.req.header("range")))
    .get("/v1/capabilities", async (c) => c.json({ hive_id: opts.hiveId, ...(await detectCapabilities()) }))
    // A model file from the keeper's machine lands in the import folder; `model_download NAME` takes it from there.
    .put(`${MODEL_UPLOAD_PATH}/:name`, async (c) => c.json(await receiveUpload(c.req.param("name"), c.req.raw.body, c.req.raw.signal), 201))
    // An engine tarball from the keeper's machine waits in the engine cache for its `engine_install`.
    .put(`${ENGINE_UPLOAD_PATH}/:name`, async (c) => c.json(await receiveEngineUpload(c.req.param("name"), c.req.raw.body, c.req.raw.signal), 201));
  return {
    hiveId: opts.hiveId,
    executor: executorFor(hiveHandlers(opts.hiveId, pool, models)),
    pool,
    models,
    routes,
    shutdown: () => pool.stopAll(),
  };
}

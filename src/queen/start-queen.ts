import { JobRegistry, type RegistryLimits } from "../jobs/job-registry.ts";
import { jobRoutes } from "../jobs/job-routes.ts";
import { narrate } from "../narration/narrate.ts";
import { checkBind, daemonToken, startDaemon, type RunningDaemon } from "../http/daemon-server.ts";
import { createHive, type Hive } from "../hive/create-hive.ts";
import type { PoolOptions } from "../hive/worker-pool.ts";
import type { RestartPolicy } from "../hive/restart-policy.ts";
import type { StallTimeouts } from "../config/timeouts.ts";
import { HiveDirectory } from "./hive-directory.ts";
import { detectCapabilities } from "../hive/capabilities.ts";
import { hiveRoutes } from "./hive-routes.ts";
import { HivePins } from "./hive-pins.ts";
import { modelUploadRelay } from "./model-upload-relay.ts";
import { CopyTickets, hiveFetch, modelCopyHandlers, modelCopyRoutes } from "./model-copy.ts";
import { copyHint } from "./copy-hint.ts";
import { queenExecutor } from "./queen-handlers.ts";
import { hiveLifecycleHandlers } from "./hive-lifecycle-handlers.ts";
import { allHiveTokens } from "../security/api-token.ts";
import { InferScheduler, type SchedulerOptions } from "./infer-scheduler.ts";
import { InferCounters, metricsRoutes } from "./queen-metrics.ts";
import { openAiRoutes } from "./openai/openai-routes.ts";
import { ollamaRoutes } from "./ollama/ollama-routes.ts";
import { anthropicRoutes } from "./anthropic/anthropic-routes.ts";
import { corsOriginsFrom } from "../http/cors.ts";
import { readConfig } from "../config/config-file.ts";
import { modelAliasHandler, withModelConfig, withSpawnDefaults } from "./model-defaults.ts";
import { isScheduled } from "../protocol/operations.ts";
import { resolveModelName } from "../config/model-config.ts";

export interface QueenOptions {
  port: number;
  bind: string;
  limits?: Partial<RegistryLimits>;
  /** Embed the local hive `localhost` (the default: one process for one machine). */
  embedHive?: boolean;
  restartPolicy?: RestartPolicy;
  timeouts?: Partial<StallTimeouts>;
  /** The embedded hive's keep-alive of on-demand workers and its cap on loaded workers. */
  pool?: PoolOptions;
  /** Infer scheduling: queue bound (default 64), slots of the workers the queen starts … */
  scheduler?: Partial<SchedulerOptions>;
  /** Drop hives offline for longer than this from the list (0: never; default 1 h). */
  pruneHivesAfterMs?: number;
  /** Browser origins allowed (CORS); default RBEE_CORS_ORIGINS, else `cors_origins` in config.json, else none. */
  corsOrigins?: string[];
  /** The embedded hive keeps a standby CPU worker (see StandbyWorker). */
  standbyWorker?: boolean;
}

export interface RunningQueen extends RunningDaemon {
  registry: JobRegistry;
  hives: HiveDirectory;
  localHive?: Hive;
  scheduler: InferScheduler;
}

/** The queen: job server, hive directory, router; with the local hive embedded. */
export function startQueen(opts: QueenOptions): RunningQueen {
  // Refuse a bad bind before anything starts: a refused start leaves nothing running.
  const token = daemonToken();
  checkBind(opts.bind, token);
  const startedAt = Date.now();
  const registry = new JobRegistry(opts.limits);
  const hives = new HiveDirectory(new HivePins());
  const localHive = opts.embedHive === false ? undefined : createHive({ hiveId: "localhost", restartPolicy: opts.restartPolicy, timeouts: opts.timeouts, pool: opts.pool, standbyWorker: opts.standbyWorker });
  let localDevices: string[] | undefined;
  if (localHive) {
    void detectCapabilities().then((caps) => (localDevices = caps.devices.map((d) => d.id)));
    hives.addEmbedded(localHive.hiveId, localHive.executor, () => ({ workers: localHive.pool.slots().length, ...(localDevices ? { devices: localDevices } : {}) }));
  }
  // A hive started from here reports to this queen: RBEE_PUBLIC_URL when the queen is known
  // by another address on the network, else the address it listens on.
  const publicUrl = () => process.env.RBEE_PUBLIC_URL || daemon.url;
  const scheduler = new InferScheduler(hives, new Map(localHive ? [[localHive.hiveId, localHive.pool]] : []), opts.scheduler);
  const counters = new InferCounters();
  scheduler.onResult = (result) => counters.observe(result);
  scheduler.onRejected = () => counters.rejected++;
  const copies = new CopyTickets();
  // Every API's requests become these operations: aliases and per-model defaults apply here, once.
  const executor = queenExecutor(registry, hives, startedAt, {
    ...hiveLifecycleHandlers(publicUrl),
    ...modelCopyHandlers(hives, copies, publicUrl),
    infer: (op, ctx) => scheduler.infer(withModelConfig(op), ctx),
    embed: (op, ctx) => scheduler.infer(withModelConfig(op), ctx),
    rank: (op, ctx) => scheduler.infer(withModelConfig(op), ctx),
    model_alias: modelAliasHandler(hives),
    worker_spawn: (op, ctx) => hives.run(op.hive_id, withSpawnDefaults(op), ctx),
  });
  scheduler.onBusyModel = copyHint(hives, registry, executor);
  const hiveApi = hiveRoutes(hives, { authenticated: token !== undefined, pruneAfterMs: opts.pruneHivesAfterMs });
  const shutdown = async () => {
    hiveApi.stop();
    scheduler.stop();
    registry.cancelAll("the queen is shutting down");
    await localHive?.shutdown();
  };
  const daemon = startOrCleanUp(shutdown, () =>
    startDaemon({
      role: "queen",
      port: opts.port,
      bind: opts.bind,
      token: token ?? "",
      corsOrigins: opts.corsOrigins ?? corsOriginsFrom(process.env.RBEE_CORS_ORIGINS, readConfig().cors_origins),
      routes: [
        jobRoutes(registry, executor, { admit: (op) => scheduler.admit(isScheduled(op) ? { ...op, model: resolveModelName(op.model) } : op) }),
        hiveApi.routes,
        modelUploadRelay(hives),
        modelCopyRoutes(copies, hiveFetch(hives, localHive ? { id: localHive.hiveId, routes: localHive.routes } : undefined)),
        openAiRoutes({ registry, executor, hives, scheduler }),
        ollamaRoutes({ registry, executor, hives, scheduler }),
        anthropicRoutes({ registry, executor, scheduler }),
        metricsRoutes(registry, hives, scheduler, counters),
        ...(localHive ? [localHive.routes] : []),
      ],
      // embedded_hive: lets `rbee hive start --host localhost` see this machine's hive is already here.
      info: () => ({ hives: hives.list().length, ...(localHive ? { embedded_hive: localHive.hiveId, standby_worker: localHive.pool.standbyState } : {}) }),
      // A hive installed from here knows only its own token; it may use it to send heartbeats.
      // A hive receiving a copy holds that copy's ticket, good for that copy's files only.
      extraTokens: (path) => (path === "/v1/hives/heartbeat" ? allHiveTokens() : copies.tokensFor(path)),
      onShutdown: async () => {
        narrate("shutdown", "queen shutting down");
        await shutdown();
      },
    }),
  );
  narrate("ready", `listening on ${daemon.url}`);
  return { ...daemon, registry, hives, localHive, scheduler };
}

/** Starts the server; when that fails (port taken …), stops what was started for it first. */
function startOrCleanUp<T>(cleanUp: () => Promise<void>, start: () => T): T {
  try {
    return start();
  } catch (err) {
    void cleanUp();
    throw err;
  }
}

import { JobRegistry } from "../jobs/job-registry.ts";
import { jobRoutes } from "../jobs/job-routes.ts";
import { narrate } from "../narration/narrate.ts";
import { startDaemon, type RunningDaemon } from "../http/daemon-server.ts";
import { createHive, type Hive } from "./create-hive.ts";
import { startHeartbeat } from "./heartbeat.ts";
import { detectCapabilities } from "./capabilities.ts";
import type { RestartPolicy } from "./restart-policy.ts";
import type { StallTimeouts } from "../config/timeouts.ts";
import type { PoolOptions } from "./worker-pool.ts";

export interface HiveDaemonOptions {
  port: number;
  bind: string;
  hiveId: string;
  /** Register with this queen and send heartbeats. */
  queenUrl?: string;
  /** The URL the queen should use for this hive (default: from bind and port). */
  advertiseUrl?: string;
  restartPolicy?: RestartPolicy;
  timeouts?: Partial<StallTimeouts>;
  standbyWorker?: boolean;
  /** Keep-alive of on-demand workers and the cap on loaded workers. */
  pool?: PoolOptions;
}

export interface RunningHive extends RunningDaemon {
  hive: Hive;
}

/** A hive on its own (`rbee serve --role hive`): what remote machines run. */
export function startHiveDaemon(opts: HiveDaemonOptions): RunningHive {
  const registry = new JobRegistry();
  const hive = createHive({ hiveId: opts.hiveId, restartPolicy: opts.restartPolicy, timeouts: opts.timeouts, pool: opts.pool, standbyWorker: opts.standbyWorker });
  let stopBeats = () => {};
  let stopped = false;
  const daemon = startDaemon({
    role: "hive",
    port: opts.port,
    bind: opts.bind,
    routes: [jobRoutes(registry, hive.executor), hive.routes],
    info: () => ({ hive_id: opts.hiveId, workers: hive.pool.list().length, standby_worker: hive.pool.standbyState }),
    onShutdown: async () => {
      narrate("shutdown", `hive ${opts.hiveId} shutting down`);
      stopped = true;
      stopBeats();
      registry.cancelAll("the hive is shutting down");
      await hive.shutdown();
    },
  });
  narrate("ready", `${opts.hiveId} listening on ${daemon.url}`);
  if (opts.queenUrl) {
    const url = opts.advertiseUrl ?? daemon.url.replace("0.0.0.0", "127.0.0.1");
    const queenUrl = opts.queenUrl.replace(/\/+$/, "");
    // The first beat already names the devices (detected once: nvidia-smi is slow to ask).
    void detectCapabilities().then((caps) => {
      const devices = caps.devices.map((d) => d.id);
      if (!stopped) stopBeats = startHeartbeat(queenUrl, () => ({ hive_id: opts.hiveId, url, workers: hive.pool.list(), devices }));
    });
  }
  return { ...daemon, hive };
}

import { JobRegistry, type RegistryLimits } from "../jobs/job-registry.ts";
import { jobRoutes } from "../jobs/job-routes.ts";
import { executorFor } from "../jobs/dispatch.ts";
import { narrate } from "../narration/narrate.ts";
import { startDaemon, type RunningDaemon } from "../http/daemon-server.ts";
import { queenStatus } from "./queen-status.ts";

export interface QueenOptions {
  port: number;
  bind: string;
  limits?: Partial<RegistryLimits>;
}

export interface RunningQueen extends RunningDaemon {
  registry: JobRegistry;
}

/** The queen: job server, hive registry, scheduler. */
export function startQueen(opts: QueenOptions): RunningQueen {
  const startedAt = Date.now();
  const registry = new JobRegistry(opts.limits);
  const hives = () => [] as { id: string; state: string }[];
  const executor = executorFor({
    status: () => queenStatus(registry, startedAt, hives),
  });
  const daemon = startDaemon({
    role: "queen",
    port: opts.port,
    bind: opts.bind,
    routes: [jobRoutes(registry, executor)],
    onShutdown: async () => {
      narrate("shutdown", "queen shutting down");
      registry.cancelAll("the queen is shutting down");
    },
  });
  narrate("listening", `queen listening on ${daemon.url}`);
  return { ...daemon, registry };
}

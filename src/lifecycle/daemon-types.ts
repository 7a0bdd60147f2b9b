import { z } from "zod";

/**
 * The daemon contract. A DaemonHandle says whether we started the daemon (so we must clean
 * it up) or found it running (so we must leave it alone), with its name, URL and pid.
 */
export const DaemonHandle = z.object({
  name: z.string(),
  base_url: z.string().url(),
  pid: z.number().int().positive().optional(),
  started_by_us: z.boolean(),
});
export type DaemonHandle = z.infer<typeof DaemonHandle>;

export const DaemonStatus = z.object({
  name: z.string(),
  running: z.boolean(),
  base_url: z.string(),
  pid: z.number().optional(),
  version: z.string().optional(),
  uptime_s: z.number().optional(),
  log_file: z.string().optional(),
  stale_pid_file: z.boolean().optional(),
});
export type DaemonStatus = z.infer<typeof DaemonStatus>;

export const ShutdownRequest = z.object({ reason: z.string().max(200).optional() }).strict();
export const ShutdownResponse = z.object({ status: z.literal("shutting_down") });

export const InstallRequest = z.object({ alias: z.string(), binary: z.string().optional(), force: z.boolean().default(false) });
export const InstallResponse = z.object({ alias: z.string(), path: z.string(), version: z.string(), uploaded: z.boolean() });
export const UninstallRequest = z.object({ alias: z.string(), force: z.boolean().default(false) });
export const UninstallResponse = z.object({ alias: z.string(), removed: z.array(z.string()) });

/** What the pid file of a background daemon holds. */
export const PidFile = z.object({ pid: z.number().int().positive(), url: z.string(), started_at: z.number() });
export type PidFile = z.infer<typeof PidFile>;

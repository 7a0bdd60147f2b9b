import type { DaemonStatus } from "../lifecycle/daemon-types.ts";
import { narrate } from "../narration/narrate.ts";
import { withTimeout } from "../narration/with-timeout.ts";
import { hiveHealthy, hiveInfo, readRemoteState, type HiveManager } from "./hive-remote-state.ts";
import { withHiveSession, type HiveSession, type HiveSshOptions } from "./hive-session.ts";
import { tilde } from "./remote-layout.ts";

/** A lifecycle DaemonStatus plus what only a remote hive has (installed, manager). */
export interface RemoteHiveStatus extends DaemonStatus {
  alias: string;
  installed: boolean;
  manager?: HiveManager;
  /** Set when the hive runs but refused our token (HTTP 401/403). */
  auth_error?: number;
}

export function hiveStatus(alias: string, opts: HiveSshOptions = {}): Promise<RemoteHiveStatus> {
  return withTimeout(`hive status on ${alias}`, 30_000, (signal) => withHiveSession(alias, opts, signal, (s) => statusIn(s, opts.env)), opts.signal);
}

/** Installed? Running (pid alive or /health answering)? Version, pid and uptime from /v1/info. */
export async function statusIn(s: HiveSession, env?: NodeJS.ProcessEnv): Promise<RemoteHiveStatus> {
  const alias = s.host.alias;
  const state = await readRemoteState(s);
  const healthy = await hiveHealthy(s);
  const manager: HiveManager | undefined = state.unitActive ? "systemd" : state.agentActive ? "launchd" : state.pid ? "nohup" : undefined;
  const status: RemoteHiveStatus = {
    name: `hive@${alias}`,
    alias,
    base_url: `http://127.0.0.1:${s.host.hivePort}`,
    installed: state.installed,
    running: healthy || state.pid !== undefined,
    log_file: tilde("log", state.darwin),
    ...(state.pid ? { pid: state.pid } : {}),
    ...(manager ? { manager } : {}),
  };
  if (healthy) {
    const { info, status: http } = await hiveInfo(s, env);
    if (info) {
      if (typeof info.version === "string") status.version = info.version;
      if (typeof info.pid === "number") status.pid = info.pid;
      const uptimeMs = typeof info.uptime_ms === "number" ? info.uptime_ms : typeof info.started_at === "number" ? Date.now() - info.started_at : undefined;
      if (uptimeMs !== undefined) status.uptime_s = Math.max(0, Math.round(uptimeMs / 1000));
    } else if (http === 401 || http === 403) status.auth_error = http;
  }
  narrate(
    "hive_status",
    status.running
      ? `the hive on ${alias} is running${status.version ? ` rbee ${status.version}` : ""}${status.pid ? `, pid ${status.pid}` : ""}${status.uptime_s !== undefined ? `, up ${status.uptime_s} s` : ""}`
      : `the hive on ${alias} is not running (${status.installed ? "installed" : "not installed"})`,
    { ...status },
  );
  return status;
}

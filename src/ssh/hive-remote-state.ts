import { narrate } from "../narration/narrate.ts";
import { readLocalHiveToken } from "./hive-token.ts";
import type { HiveSession } from "./hive-session.ts";
import { jsonBody, type TunnelResponse } from "./http-over-ssh.ts";
import { AGENT_LABEL, R, UNIT_NAME } from "./remote-layout.ts";

export type HiveManager = "systemd" | "launchd" | "nohup";

/** What is on the remote machine, read in one round trip. */
export interface RemoteHiveState {
  installed: boolean;
  tokenPresent: boolean;
  launcher: boolean;
  unit: boolean;
  /** The systemd unit is running (its MainPID is not 0): systemd manages the hive. */
  unitActive: boolean;
  systemdAvailable: boolean;
  /** The machine is a Mac (its folders differ, see remote-layout.ts). */
  darwin: boolean;
  /** launchd takes user agents here (a Mac with the user's GUI domain). */
  launchdAvailable: boolean;
  /** The hive's launchd agent plist is installed. */
  agent: boolean;
  /** launchd runs the agent's process: launchd manages the hive. */
  agentActive: boolean;
  /** systemd keeps this user's services after logout (loginctl enable-linger). */
  linger: boolean;
  /** The hive's pid when a process with that pid is alive and is `rbee serve`. */
  pid?: number;
  /** The --queen-url written in the launcher by the last start. */
  queenUrl?: string;
}

/**
 * Succeeds when that pid is alive and its command line is an rbee serve (pids get reused).
 * /proc where there is one; ps on macOS.
 */
export const IS_RBEE_PID =
  `is_rbee() { case "$1" in ''|*[!0-9]*) return 1;; esac; if [ -d /proc/self ]; then [ -r /proc/$1/cmdline ] && tr '\\0' ' ' < /proc/$1/cmdline | grep -q 'rbee serve'; ` +
  `else ps -p "$1" -o command= 2>/dev/null | grep -q 'rbee serve'; fi; }`;

/**
 * Succeeds while pid `$1` exists and is not a zombie: used right after a start, while the
 * process is still the launcher script and not yet `rbee serve`.
 */
export const IS_ALIVE_PID =
  `is_alive() { case "$1" in ''|*[!0-9]*) return 1;; esac; if [ -d /proc/self ]; then [ -r /proc/$1/stat ] && ! grep -q ') Z ' /proc/$1/stat; ` +
  `else st=$(ps -p "$1" -o stat= 2>/dev/null) && case "$st" in ''|Z*) false;; *) true;; esac; fi; }`;

/** Prints the pid launchd runs the hive's agent with (nothing when it runs none). */
export const AGENT_PID = `launchctl print "gui/$(id -u)/${AGENT_LABEL}" 2>/dev/null | sed -n 's/^[[:space:]]*pid = \\([0-9][0-9]*\\).*/\\1/p' | head -n 1`;

export async function readRemoteState(s: HiveSession): Promise<RemoteHiveState> {
  const out = await s.sh(
    "reading the hive state",
    [
      IS_RBEE_PID,
      `[ -x ${R.binary} ] && echo installed`,
      `[ -s ${R.token} ] && echo token`,
      `[ -f ${R.launcher} ] && echo launcher && sed -n "s/^QUEEN_URL='\\(.*\\)'$/queen_url=\\1/p" ${R.launcher}`,
      `[ -f ${R.unitFile} ] && echo unit`,
      `systemctl --user show-environment >/dev/null 2>&1 && echo systemd`,
      `[ "$(uname -s)" = Darwin ] && echo darwin && launchctl print "gui/$(id -u)" >/dev/null 2>&1 && echo launchd`,
      `[ -f ${R.agentFile} ] && echo agent`,
      `[ "$(loginctl show-user "$(id -un)" -p Linger --value 2>/dev/null)" = yes ] && echo linger`,
      `pid=$(cat ${R.pidFile} 2>/dev/null)`,
      `[ -f ${R.unitFile} ] && command -v systemctl >/dev/null && p=$(systemctl --user show -p MainPID --value ${UNIT_NAME} 2>/dev/null) && [ -n "$p" ] && [ "$p" != 0 ] && pid=$p && echo unit_active`,
      `[ -f ${R.agentFile} ] && p=$(${AGENT_PID}) && [ -n "$p" ] && pid=$p && echo agent_active`,
      `is_rbee "$pid" && echo "pid=$pid"`,
      "exit 0",
    ].join("\n"),
  );
  const lines = out.split("\n");
  const value = (key: string) => lines.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
  const pid = Number(value("pid"));
  return {
    installed: lines.includes("installed"),
    tokenPresent: lines.includes("token"),
    launcher: lines.includes("launcher"),
    unit: lines.includes("unit"),
    unitActive: lines.includes("unit_active"),
    systemdAvailable: lines.includes("systemd"),
    darwin: lines.includes("darwin"),
    launchdAvailable: lines.includes("launchd"),
    agent: lines.includes("agent"),
    agentActive: lines.includes("agent_active"),
    linger: lines.includes("linger"),
    ...(pid > 0 ? { pid } : {}),
    ...(value("queen_url") ? { queenUrl: value("queen_url") } : {}),
  };
}

/** GET /health through the tunnel: true when the hive answers 200. */
export async function hiveHealthy(s: HiveSession, timeoutMs = 2_000): Promise<boolean> {
  try {
    const res = await s.conn.request(s.host.hivePort, { method: "GET", path: "/health", signal: s.signal, timeoutMs });
    return res.status === 200;
  } catch (err) {
    if (s.signal.aborted) throw err;
    return false; // nothing listens yet, or it is not answering: not healthy
  }
}

export interface HiveInfo {
  role?: string;
  version?: string;
  pid?: number;
  started_at?: number;
  uptime_ms?: number;
  [key: string]: unknown;
}

/** GET /v1/info with the hive's API token; undefined when the hive does not answer. */
export async function hiveInfo(s: HiveSession, env?: NodeJS.ProcessEnv): Promise<{ info?: HiveInfo; status?: number }> {
  let res: TunnelResponse;
  try {
    res = await s.conn.request(s.host.hivePort, { method: "GET", path: "/v1/info", token: readLocalHiveToken(s.host.alias, env), signal: s.signal, timeoutMs: 5_000 });
  } catch (err) {
    if (s.signal.aborted) throw err;
    return {};
  }
  if (res.status !== 200) {
    narrate("hive_info", `${s.host.alias} answered /v1/info with HTTP ${res.status}`, { level: "warn", status: res.status });
    return { status: res.status };
  }
  return { info: jsonBody<HiveInfo>(res, "/v1/info"), status: 200 };
}

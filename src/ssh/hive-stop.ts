import { narrate } from "../narration/narrate.ts";
import { withTimeout } from "../narration/with-timeout.ts";
import { readLocalHiveToken } from "./hive-token.ts";
import { hiveHealthy, hiveInfo, IS_RBEE_PID, readRemoteState } from "./hive-remote-state.ts";
import { withHiveSession, type HiveSession, type HiveSshOptions } from "./hive-session.ts";
import { AGENT_LABEL, R, UNIT_NAME } from "./remote-layout.ts";
import { shScript } from "./shell-quote.ts";

export interface StopOptions extends HiveSshOptions {
  /** How long to wait after each step (shutdown request, SIGTERM) before the next (default 5 s). */
  graceMs?: number;
}

export interface StopResult {
  alias: string;
  was_running: boolean;
  pid?: number;
  stopped_by?: "shutdown" | "systemctl" | "launchctl" | "sigterm" | "sigkill";
}

const GRACE_MS = 5_000;

export function stopHive(alias: string, opts: StopOptions = {}): Promise<StopResult> {
  const grace = opts.graceMs ?? GRACE_MS;
  return withTimeout(`hive stop on ${alias}`, 30_000 + 3 * grace, (signal) => withHiveSession(alias, opts, signal, (s) => stopIn(s, opts)), opts.signal);
}

/**
 * The lifecycle contract's stop, over SSH: POST /v1/shutdown through the tunnel, wait, then
 * SIGTERM to the recorded pid, then SIGKILL after the grace period. A pid is only signalled
 * while its command line is still `rbee serve` (pids get reused).
 */
export async function stopIn(s: HiveSession, opts: StopOptions): Promise<StopResult> {
  const alias = s.host.alias;
  const grace = opts.graceMs ?? GRACE_MS;
  const state = await readRemoteState(s);
  const healthy = await hiveHealthy(s);
  if (!state.pid && !healthy) {
    await s.shStatus(`rm -f ${R.pidFile}`);
    if (state.agent) await removeLaunchAgent(s);
    narrate("hive_stop_idle", `the hive on ${alias} is not running`);
    return { alias, was_running: false };
  }
  const pid = state.pid ?? (await hiveInfo(s, opts.env)).info?.pid;
  narrate("hive_stop", `stopping the hive on ${alias}${pid ? ` (pid ${pid})` : ""}`, { pid });

  let stoppedBy: StopResult["stopped_by"];
  if (healthy) {
    const res = await s.conn.request(s.host.hivePort, { method: "POST", path: "/v1/shutdown", token: readLocalHiveToken(alias, opts.env), signal: s.signal }).catch(
      (err) => ({ status: 0, body: String(err?.message ?? err) }),
    );
    if (res.status >= 200 && res.status < 300) narrate("hive_stop_requested", `${alias} accepted the shutdown request`);
    else narrate("hive_stop_refused", `${alias} did not take the shutdown request (${res.status || res.body}); signalling it instead`, { level: "warn" });
  }
  if (pid === undefined) {
    // Healthy but no pid we can see (another user's process?): all we could do was ask.
    const gone = await waitUntil(s, grace, async () => !(await hiveHealthy(s, 1_000)));
    narrate(gone ? "hive_stopped" : "hive_stop_failed", gone ? `the hive on ${alias} stopped` : `the hive on ${alias} still answers`, { level: gone ? "info" : "warn" });
    return { alias, was_running: true, ...(gone ? { stopped_by: "shutdown" as const } : {}) };
  }

  if (healthy && (await waitGone(s, pid, grace))) stoppedBy = "shutdown";
  else if (state.unitActive) {
    await s.sh("systemctl --user stop", `systemctl --user stop ${UNIT_NAME}`);
    stoppedBy = "systemctl";
  } else if (state.agentActive) {
    // bootout stops the process (SIGTERM, then SIGKILL) and unloads the agent: no restart.
    await removeLaunchAgent(s);
    stoppedBy = "launchctl";
  } else {
    narrate("hive_stop_term", `sending SIGTERM to pid ${pid} on ${alias}`);
    await s.shStatus(`${IS_RBEE_PID}\nis_rbee ${pid} && kill ${pid}`);
    stoppedBy = "sigterm";
    if (!(await waitGone(s, pid, grace))) {
      narrate("hive_stop_kill", `pid ${pid} on ${alias} outlived SIGTERM by ${grace / 1000} s: sending SIGKILL`, { level: "warn" });
      await s.shStatus(`${IS_RBEE_PID}\nis_rbee ${pid} && kill -9 ${pid}`);
      await waitGone(s, pid, 2_000);
      stoppedBy = "sigkill";
    }
  }
  await s.shStatus(`rm -f ${R.pidFile}`);
  if (state.agent && stoppedBy !== "launchctl") await removeLaunchAgent(s);
  narrate("hive_stopped", `the hive on ${alias} stopped (${stoppedBy})`, { pid, stopped_by: stoppedBy });
  return { alias, was_running: true, pid, stopped_by: stoppedBy };
}

/**
 * Unloads the hive's launchd agent (stopping its process if it still runs) and deletes its
 * plist, so nothing starts the hive again at the next login.
 */
export async function removeLaunchAgent(s: HiveSession): Promise<void> {
  await s.shStatus(`launchctl bootout "gui/$(id -u)/${AGENT_LABEL}" >/dev/null 2>&1; rm -f ${R.agentFile}; exit 0`);
  narrate("hive_agent_removed", `removed the launchd agent ${AGENT_LABEL} on ${s.host.alias}`);
}

/** Waits on the remote side (one round trip) until pid is no longer an rbee serve; true if gone. */
async function waitGone(s: HiveSession, pid: number, ms: number): Promise<boolean> {
  const ticks = Math.max(1, Math.ceil(ms / 100));
  const r = await s.conn.exec(
    shScript(`${IS_RBEE_PID}\ni=0; while is_rbee ${pid} && [ $i -lt ${ticks} ]; do sleep 0.1; i=$((i+1)); done; is_rbee ${pid} && echo alive || echo gone`),
    { signal: s.signal, timeoutMs: ms + 10_000 },
  );
  return r.stdout.trim() === "gone";
}

async function waitUntil(s: HiveSession, ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let delay = 100; Date.now() < deadline; delay = Math.min(delay * 1.5, 1_000)) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, delay));
  }
  return check();
}

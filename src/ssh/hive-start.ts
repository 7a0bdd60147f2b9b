import type { DaemonHandle } from "../lifecycle/daemon-types.ts";
import { narrate } from "../narration/narrate.ts";
import { withTimeout } from "../narration/with-timeout.ts";
import { RbeeError } from "../protocol/errors.ts";
import { hiveServeArgs, launchAgentPlist, launcherScript, systemdUnit, validateQueenUrl } from "./hive-launcher.ts";
import { AGENT_PID, hiveHealthy, IS_ALIVE_PID, readRemoteState, type HiveManager } from "./hive-remote-state.ts";
import { withHiveSession, type HiveSession, type HiveSshOptions } from "./hive-session.ts";
import { AGENT_LABEL, R, tilde, UNIT_NAME } from "./remote-layout.ts";

export interface StartOptions extends HiveSshOptions {
  /** The queen as the hive should reach it; defaults to the one from the last start. */
  queenUrl?: string;
  /** How long to wait for /health (default 30 s). */
  readyTimeoutMs?: number;
  /** Another serve command line (after the binary path); for binaries without `--role hive`. */
  serveArgs?: string[];
  /** Keep the launcher from the last start as it is (a restart after an upgrade). */
  reuseLauncher?: boolean;
}

/**
 * A lifecycle DaemonHandle (name, base_url, pid, started_by_us) plus the alias and how it was
 * started. base_url is the hive's address as seen on the remote machine (it binds loopback).
 */
export interface RemoteHiveHandle extends DaemonHandle {
  alias: string;
  manager?: HiveManager;
}

export const HIVE_READY_TIMEOUT_MS = 30_000;

export function startHive(alias: string, opts: StartOptions = {}): Promise<RemoteHiveHandle> {
  const limit = 20_000 + (opts.readyTimeoutMs ?? HIVE_READY_TIMEOUT_MS);
  return withTimeout(`hive start on ${alias}`, limit, (signal) => withHiveSession(alias, opts, signal, (s) => startIn(s, opts)), opts.signal);
}

export async function startIn(s: HiveSession, opts: StartOptions): Promise<RemoteHiveHandle> {
  const alias = s.host.alias;
  const base = { name: `hive@${alias}`, alias, base_url: `http://127.0.0.1:${s.host.hivePort}` };
  const state = await readRemoteState(s);
  if (!state.installed) throw new RbeeError("HIVE_NOT_INSTALLED", `rbee is not installed on ${alias}`, `Run \`rbee hive install --host ${alias}\` first.`);
  if (!state.tokenPresent) throw new RbeeError("HIVE_TOKEN_MISSING", `${alias} has no hive API token (${tilde("token", state.darwin)})`, `Run \`rbee hive install --host ${alias}\` again.`);
  if (state.pid || (await hiveHealthy(s))) {
    narrate("hive_start_running", `the hive on ${alias} is already running${state.pid ? ` (pid ${state.pid})` : ""}`, { pid: state.pid });
    return { ...base, started_by_us: false, ...(state.pid ? { pid: state.pid } : {}) };
  }

  const queenUrl = opts.queenUrl !== undefined ? validateQueenUrl(opts.queenUrl) : state.queenUrl;
  if (!(opts.reuseLauncher && state.launcher)) {
    const args = opts.serveArgs ?? hiveServeArgs(s.host, queenUrl);
    const script = launcherScript(args, queenUrl);
    await s.sh("writing the hive launcher", `umask 077 && mkdir -p ${R.configDir} && cat > ${R.launcher}.tmp && chmod 700 ${R.launcher}.tmp && mv -f ${R.launcher}.tmp ${R.launcher}`, script);
  }

  // Without lingering, systemd stops a user's services when their last session ends, which
  // would take the hive down as soon as this SSH connection closes.
  let manager: HiveManager = state.launchdAvailable ? "launchd" : state.systemdAvailable && state.linger ? "systemd" : "nohup";
  if (state.systemdAvailable && !state.linger) {
    narrate("hive_start_nohup", `systemd --user on ${alias} has no lingering for this user: starting with nohup (\`loginctl enable-linger\` there lets rbee use systemd)`, { level: "debug" });
  }
  if (state.darwin && !state.launchdAvailable) {
    narrate("hive_start_nohup", `${alias} has no launchd session for this user (nobody logged in at the Mac): starting with nohup`, { level: "debug" });
  }
  narrate("hive_start", `starting the hive on ${alias} (${manager}, port ${s.host.hivePort}${queenUrl ? `, queen ${queenUrl}` : ""})`, { manager });
  let pid: number | undefined;
  if (manager === "launchd") {
    pid = await startWithLaunchd(s);
    if (pid === undefined) manager = "nohup";
  }
  pid ??= manager === "systemd" ? await startWithSystemd(s) : await startWithNohup(s);
  await waitHealthy(s, pid, manager, opts.readyTimeoutMs ?? HIVE_READY_TIMEOUT_MS, state.darwin);
  narrate("hive_started", `the hive on ${alias} is running (pid ${pid})`, { pid, manager });
  return { ...base, started_by_us: true, pid, manager };
}

async function startWithSystemd(s: HiveSession): Promise<number> {
  await s.sh("installing the systemd unit", `mkdir -p ${R.unitDir} && cat > ${R.unitFile}.tmp && mv -f ${R.unitFile}.tmp ${R.unitFile}`, systemdUnit());
  const out = await s.sh(
    "systemctl --user restart",
    `systemctl --user daemon-reload && systemctl --user restart ${UNIT_NAME} && mkdir -p ${R.stateDir} && p=$(systemctl --user show -p MainPID --value ${UNIT_NAME}) && echo "$p" > ${R.pidFile} && echo "$p"`,
  );
  return Number(out.trim());
}

/**
 * A launchd user agent (~/Library/LaunchAgents/dev.rbee.hive.plist) in the user's GUI domain.
 * Undefined when launchd refuses it (no GUI session after all): the agent is removed again
 * and the caller falls back to nohup.
 */
async function startWithLaunchd(s: HiveSession): Promise<number | undefined> {
  const home = (await s.sh("reading the home folder", 'printf %s "$HOME"')).trim();
  await s.sh("installing the launchd agent", `mkdir -p ${R.agentDir} ${R.stateDir} && cat > ${R.agentFile}.tmp && mv -f ${R.agentFile}.tmp ${R.agentFile}`, launchAgentPlist(home));
  // bootout first: an agent left loaded by an earlier start would make bootstrap fail.
  const r = await s.shStatus(
    `d="gui/$(id -u)"; launchctl bootout "$d/${AGENT_LABEL}" >/dev/null 2>&1; launchctl bootstrap "$d" ${R.agentFile} || exit 3\n` +
      `i=0; p=; while [ $i -lt 100 ]; do p=$(${AGENT_PID}); [ -n "$p" ] && break; sleep 0.1; i=$((i+1)); done\n` +
      `[ -n "$p" ] || exit 4; echo "$p" > ${R.pidFile}; echo "$p"`,
  );
  if (r.code === 0) return Number(r.stdout.trim());
  narrate("hive_start_launchd_refused", `launchd on ${s.host.alias} did not start the agent (${r.stderr.trim() || `exit ${r.code}`}): starting with nohup instead`, { level: "warn" });
  await s.shStatus(`launchctl bootout "gui/$(id -u)/${AGENT_LABEL}" >/dev/null 2>&1; rm -f ${R.agentFile}`);
  return undefined;
}

async function startWithNohup(s: HiveSession): Promise<number> {
  // stdin from /dev/null and output to the log: nothing holds the SSH channel open.
  const out = await s.sh(
    "nohup rbee serve",
    `mkdir -p ${R.stateDir} && cd "$HOME" || exit 1\nnohup ${R.launcher} > ${R.log} 2>&1 < /dev/null &\np=$!; echo "$p" > ${R.pidFile}; echo "$p"`,
  );
  return Number(out.trim());
}

/** Polls /health with backoff; fails early (with the log's tail) when the process is gone. */
async function waitHealthy(s: HiveSession, pid: number, manager: HiveManager, limitMs: number, darwin: boolean): Promise<void> {
  const started = Date.now();
  let delay = 100;
  for (;;) {
    if (await hiveHealthy(s)) {
      narrate("hive_health", `${s.host.alias} answered /health after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    }
    const alive = await s.shStatus(`${IS_ALIVE_PID}\nis_alive ${pid}`);
    if (alive.code !== 0) {
      const tail = manager === "systemd" ? `journalctl --user -u ${UNIT_NAME} -n 20 --no-pager 2>&1` : `tail -n 20 ${R.log} 2>&1`;
      const log = (await s.shStatus(tail)).stdout.trim();
      throw new RbeeError("HIVE_START_FAILED", `the hive on ${s.host.alias} exited during start-up${log ? `:\n${log}` : ""}`, `See ${tilde("log", darwin)} on ${s.host.alias}.`, 502);
    }
    if (Date.now() - started > limitMs) {
      throw new RbeeError("HIVE_START_TIMEOUT", `the hive on ${s.host.alias} did not answer /health within ${limitMs / 1000} s`, `See ${tilde("log", darwin)} on ${s.host.alias}.`, 504);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 1.5, 1_000);
  }
}

import { narrate } from "../narration/narrate.ts";
import { withTimeout } from "../narration/with-timeout.ts";
import { RbeeError } from "../protocol/errors.ts";
import { hiveHealthy, readRemoteState } from "./hive-remote-state.ts";
import { withHiveSession, type HiveSshOptions } from "./hive-session.ts";
import { removeLaunchAgent, stopIn } from "./hive-stop.ts";
import { removeLocalHiveToken } from "./hive-token.ts";
import { R, tilde, UNIT_NAME } from "./remote-layout.ts";

export interface UninstallOptions extends HiveSshOptions {
  /** Stop a running hive first instead of refusing. */
  force?: boolean;
}

export interface UninstallResult {
  alias: string;
  stopped: boolean;
  removed: string[];
}

/** Removes the binary, token, launcher, systemd unit or launchd agent, and state; refused while running unless forced. */
export function uninstallHive(alias: string, opts: UninstallOptions = {}): Promise<UninstallResult> {
  return withTimeout(
    `hive uninstall on ${alias}`,
    60_000,
    (signal) =>
      withHiveSession(alias, opts, signal, async (s) => {
        const state = await readRemoteState(s);
        const running = state.pid !== undefined || (await hiveHealthy(s));
        if (running && !opts.force) {
          throw new RbeeError("HIVE_RUNNING", `the hive on ${alias} is running`, `Stop it first (rbee hive stop --host ${alias}) or pass --force.`, 409);
        }
        if (running) await stopIn(s, { env: opts.env });
        else if (state.agent) await removeLaunchAgent(s); // stopIn removes it otherwise
        if (state.unit) {
          await s.shStatus(`systemctl --user disable ${UNIT_NAME} >/dev/null 2>&1; rm -f ${R.unitFile}; systemctl --user daemon-reload >/dev/null 2>&1; exit 0`);
          narrate("hive_uninstall_unit", `removed the systemd unit ${UNIT_NAME} on ${alias}`);
        }
        await s.sh(
          "removing rbee",
          `rm -f ${R.binary} ${R.token} ${R.launcher} && rm -rf ${R.stateDir} && rm -f ${R.binDir}/.rbee.tmp-* && { rmdir ${R.configDir} 2>/dev/null; exit 0; }`,
        );
        removeLocalHiveToken(alias, opts.env);
        const removed = [tilde("binary"), tilde("token", state.darwin), tilde("launcher", state.darwin), `${tilde("stateDir", state.darwin)}/`, ...(state.unit ? [tilde("unitFile")] : []), ...(state.agent ? [tilde("agentFile")] : [])];
        narrate("hive_uninstalled", `removed rbee from ${alias}: ${removed.join(", ")}`);
        return { alias, stopped: running, removed };
      }),
    opts.signal,
  );
}

import { narrate } from "../narration/narrate.ts";
import { withTimeout } from "../narration/with-timeout.ts";
import { installIn, INSTALL_TIMEOUT_MS, type InstallOptions, type InstallResult } from "./hive-install.ts";
import { hiveHealthy, readRemoteState } from "./hive-remote-state.ts";
import { withHiveSession } from "./hive-session.ts";
import { startIn, type RemoteHiveHandle } from "./hive-start.ts";
import { stopIn } from "./hive-stop.ts";

export interface UpgradeResult {
  install: InstallResult;
  restarted: boolean;
  handle?: RemoteHiveHandle;
}

/** install --force, then restart the hive (same launcher, same queen) when it was running. */
export function upgradeHive(alias: string, opts: InstallOptions & { queenUrl?: string } = {}): Promise<UpgradeResult> {
  return withTimeout(
    `hive upgrade on ${alias}`,
    opts.timeoutMs ?? INSTALL_TIMEOUT_MS + 60_000,
    (signal) =>
      withHiveSession(alias, opts, signal, async (s) => {
        const state = await readRemoteState(s);
        const wasRunning = state.pid !== undefined || (await hiveHealthy(s));
        const install = await installIn(s, { ...opts, force: true });
        if (!wasRunning) return { install, restarted: false };
        narrate("hive_upgrade_restart", `restarting the hive on ${alias} on rbee ${install.version}`);
        await stopIn(s, { env: opts.env });
        const handle = await startIn(s, { env: opts.env, ...(opts.queenUrl ? { queenUrl: opts.queenUrl } : { reuseLauncher: true }) });
        return { install, restarted: true, handle };
      }),
    opts.signal,
  );
}

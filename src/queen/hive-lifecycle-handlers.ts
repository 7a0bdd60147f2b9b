import type { HandlerTable } from "../jobs/dispatch.ts";
import { audit } from "../security/audit-log.ts";

/** Loaded on first use: ssh2 and its crypto cost the queen ~25 MiB of memory it needs only for SSH jobs. */
const ssh = () => import("../ssh/remote-hive.ts");

/**
 * Hive lifecycle as queen jobs: the same SSH functions the CLI runs, narrating into the
 * job's stream through the context. `queenUrl` is how a started hive reaches this queen.
 */
export function hiveLifecycleHandlers(queenUrl: () => string): HandlerTable {
  return {
    hive_install: async (op, { signal }) => {
      const result = await (await ssh()).installHive(op.alias, { binaryPath: op.binary, force: op.force, acceptNewHostKey: op.accept_new_host_key, signal });
      audit("hive_install", { alias: op.alias, version: result.version, sha256: result.sha256, uploaded: result.uploaded });
      return result;
    },
    hive_start: async (op, { signal }) => {
      const handle = await (await ssh()).startHive(op.alias, { queenUrl: op.queen_url ?? queenUrl(), signal });
      audit("hive_start", { alias: op.alias, pid: handle.pid, started_by_us: handle.started_by_us });
      return handle;
    },
    hive_stop: async (op, { signal }) => {
      const result = await (await ssh()).stopHive(op.alias, { signal });
      audit("hive_stop", { alias: op.alias, was_running: result.was_running });
      return result;
    },
    hive_uninstall: async (op, { signal }) => {
      const result = await (await ssh()).uninstallHive(op.alias, { force: op.force, signal });
      audit("hive_uninstall", { alias: op.alias });
      return result;
    },
    hive_upgrade: async (op, { signal }) => {
      const result = await (await ssh()).upgradeHive(op.alias, { binaryPath: op.binary, queenUrl: op.queen_url ?? queenUrl(), signal });
      audit("hive_upgrade", { alias: op.alias, restarted: result.restarted });
      return result;
    },
  };
}

/**
 * Remote hives over SSH: install, start, stop, status, uninstall, upgrade. Each flow resolves
 * the alias, connects (host key checked), narrates every step, honours its AbortSignal and
 * runs under a time limit. The alias `localhost` runs the same flows on this machine, no SSH.
 */
export { installHive, INSTALL_TIMEOUT_MS, type InstallOptions, type InstallResult } from "./hive-install.ts";
export { startHive, HIVE_READY_TIMEOUT_MS, type RemoteHiveHandle, type StartOptions } from "./hive-start.ts";
export { stopHive, type StopOptions, type StopResult } from "./hive-stop.ts";
export { hiveStatus, type RemoteHiveStatus } from "./hive-status.ts";
export { uninstallHive, type UninstallOptions, type UninstallResult } from "./hive-uninstall.ts";
export { upgradeHive, type UpgradeResult } from "./hive-upgrade.ts";
export { readLocalHiveToken, localTokenPath } from "./hive-token.ts";
export type { HiveSshOptions } from "./hive-session.ts";

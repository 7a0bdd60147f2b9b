/**
 * Where a hive lives on a remote machine, relative to the remote home. Shell fragments are
 * double-quoted "$HOME/…" constants (no user value in them); SFTP takes the relative paths,
 * which the SFTP server resolves against the home folder.
 */
export const REMOTE_REL = {
  binDir: ".local/bin",
  binary: ".local/bin/rbee",
  configDir: ".config/rbee",
  token: ".config/rbee/hive.token",
  launcher: ".config/rbee/hive-start.sh",
  stateDir: ".local/state/rbee",
  pidFile: ".local/state/rbee/hive.pid",
  log: ".local/state/rbee/hive.log",
  unitDir: ".config/systemd/user",
  unitFile: ".config/systemd/user/rbee-hive.service",
} as const;

export const UNIT_NAME = "rbee-hive.service";

type Key = keyof typeof REMOTE_REL;
/** `"$HOME/.local/bin/rbee"` and friends, ready to paste into a script. */
export const R = Object.fromEntries(Object.entries(REMOTE_REL).map(([k, v]) => [k, `"$HOME/${v}"`])) as Record<Key, string>;

/** Shown to users: `~/.local/bin/rbee`. */
export const tilde = (key: Key) => `~/${REMOTE_REL[key]}`;

/**
 * Where a hive lives on a remote machine, relative to the remote home. The binary is
 * ~/.local/bin/rbee everywhere; the hive's own files follow the machine's conventions: the XDG
 * folders on Linux, ~/Library/Application Support/rbee on macOS (as src/config/paths.ts does
 * for the hive process itself). SFTP takes the relative paths, which the SFTP server resolves
 * against the home folder.
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
  agentDir: "Library/LaunchAgents",
  agentFile: "Library/LaunchAgents/dev.rbee.hive.plist",
} as const;

export const UNIT_NAME = "rbee-hive.service";
/** The launchd label of the hive's user agent on macOS. */
export const AGENT_LABEL = "dev.rbee.hive";

/**
 * Sets $rbee_cfg and $rbee_state for the machine the script runs on. Every remote hive script
 * starts with it (hive-session.ts, and the launcher script), so the paths below are right on
 * Linux and on macOS without a round trip to ask first.
 */
export const LAYOUT_SH =
  'if [ "$(uname -s)" = Darwin ]; then rbee_cfg="$HOME/Library/Application Support/rbee"; rbee_state="$rbee_cfg/state"; ' +
  'else rbee_cfg="$HOME/.config/rbee"; rbee_state="$HOME/.local/state/rbee"; fi';

type Key = keyof typeof REMOTE_REL;

/** `"$HOME/.local/bin/rbee"`, `"$rbee_cfg/hive.token"` and friends, ready to paste into a script. */
export const R: Record<Key, string> = {
  ...(Object.fromEntries(Object.entries(REMOTE_REL).map(([k, v]) => [k, `"$HOME/${v}"`])) as Record<Key, string>),
  configDir: `"$rbee_cfg"`,
  token: `"$rbee_cfg/hive.token"`,
  launcher: `"$rbee_cfg/hive-start.sh"`,
  stateDir: `"$rbee_state"`,
  pidFile: `"$rbee_state/hive.pid"`,
  log: `"$rbee_state/hive.log"`,
};

/** The hive's files on macOS, relative to the home folder (what LAYOUT_SH picks there). */
export const MAC_REL = {
  configDir: "Library/Application Support/rbee",
  token: "Library/Application Support/rbee/hive.token",
  launcher: "Library/Application Support/rbee/hive-start.sh",
  stateDir: "Library/Application Support/rbee/state",
  pidFile: "Library/Application Support/rbee/state/hive.pid",
  log: "Library/Application Support/rbee/state/hive.log",
} as const satisfies Partial<Record<Key, string>>;

/** Shown to users: `~/.local/bin/rbee`; on a Mac (`darwin`), its own folders. */
export const tilde = (key: Key, darwin = false) => `~/${(darwin && (MAC_REL as Partial<Record<Key, string>>)[key]) || REMOTE_REL[key]}`;

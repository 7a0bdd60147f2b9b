import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import SSHConfig from "ssh-config";
import { rbeePaths } from "../config/paths.ts";
import { RbeeError } from "../protocol/errors.ts";
import { localHome } from "./local-home.ts";

/** Everything needed to reach one hive machine. */
export interface ResolvedHost {
  alias: string;
  hostname: string;
  user: string;
  port: number;
  identityFiles: string[];
  hivePort: number;
  /** ssh-agent socket, when one is running (SSH_AUTH_SOCK). */
  agent?: string;
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** The local home folder (~/.ssh lives here); defaults to $HOME. */
  home?: string;
}

/** The alias that means this machine, managed without SSH. */
export const LOCAL_ALIAS = "localhost";
export const DEFAULT_SSH_PORT = 22;
export const DEFAULT_HIVE_PORT = 7835;
const DEFAULT_IDENTITIES = ["id_ed25519", "id_rsa"];
const ALIAS_RE = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;
// Host names end up in known_hosts lines and messages: letters, digits, dots, dashes, IPv6 colons.
const HOSTNAME_RE = /^[A-Za-z0-9._:%-]+$/;

/** Rejects aliases that could be read as options or carry shell/config metacharacters. */
export function validateAlias(alias: string): string {
  if (!ALIAS_RE.test(alias) || alias.length > 255) {
    throw new RbeeError(
      "INVALID_HOST_ALIAS",
      `invalid host alias ${JSON.stringify(alias)}`,
      "Use letters, digits, '.', '_' and '-' only, not starting with '-' (as in ~/.ssh/config Host lines).",
    );
  }
  return alias;
}

/** hives.conf: rbee's own host list, in ssh_config syntax (Host, HostName, User, Port, HivePort). */
export function hivesConfPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(rbeePaths(env).config, "hives.conf");
}

/**
 * Resolves an alias the way `ssh ALIAS` would, with rbee's hive list first: hives.conf, then
 * ~/.ssh/config, then defaults (current user, port 22, hive port 7835, ~/.ssh/id_ed25519 and
 * id_rsa when present).
 */
export function resolveHost(alias: string, opts: ResolveOptions = {}): ResolvedHost {
  validateAlias(alias);
  const env = opts.env ?? process.env;
  const home = opts.home ?? localHome(env);
  const rbee = computeFrom(hivesConfPath(env), alias);
  const ssh = computeFrom(join(home, ".ssh", "config"), alias);
  const pick = (key: string) => first(rbee[key]) ?? first(ssh[key]);

  const localUser = userInfo().username;
  const user = pick("user") ?? localUser;
  const hostname = expandTokens(pick("hostname") ?? alias, { alias, home, localUser, user, hostname: alias });
  if (!HOSTNAME_RE.test(hostname)) {
    throw new RbeeError("INVALID_HOST_CONFIG", `host name ${JSON.stringify(hostname)} for ${alias} is not valid`, "Fix the HostName line for this host in hives.conf or ~/.ssh/config.");
  }
  const port = parsePort(pick("port"), DEFAULT_SSH_PORT, "Port", alias);
  const hivePort = parsePort(first(rbee.hiveport) ?? first(ssh.hiveport), DEFAULT_HIVE_PORT, "HivePort", alias);

  const tokens = { alias, home, localUser, user, hostname };
  const configured = [...list(rbee.identityfile), ...list(ssh.identityfile)].map((f) => expandTokens(f, tokens));
  const identityFiles = configured.length
    ? [...new Set(configured)]
    : DEFAULT_IDENTITIES.map((name) => join(home, ".ssh", name)).filter((f) => existsSync(f));

  const agent = env.SSH_AUTH_SOCK || undefined;
  return { alias, hostname, user, port, identityFiles, hivePort, ...(agent ? { agent } : {}) };
}

/**
 * `localhost`: this machine and user, reached without SSH. Only HivePort (hives.conf) applies;
 * ~/.ssh/config is not read, and `port` (the SSH port) is 0 because nothing connects.
 */
export function resolveLocalHost(env: NodeJS.ProcessEnv = process.env): ResolvedHost {
  const hivePort = parsePort(first(computeFrom(hivesConfPath(env), LOCAL_ALIAS).hiveport), DEFAULT_HIVE_PORT, "HivePort", LOCAL_ALIAS);
  // Bun's userInfo() can answer "unknown" where the login variables say who we are.
  const user = env.USER || env.LOGNAME || userInfo().username;
  return { alias: LOCAL_ALIAS, hostname: "127.0.0.1", user, port: 0, identityFiles: [], hivePort };
}

function computeFrom(path: string, alias: string): Record<string, string | string[]> {
  if (!existsSync(path)) return {};
  try {
    // matchExec off: resolving a host must never run commands from a config file.
    return SSHConfig.parse(readFileSync(path, "utf8")).compute(alias, { ignoreCase: true, matchExec: false });
  } catch (err) {
    throw new RbeeError("INVALID_HOST_CONFIG", `cannot read ${path}: ${(err as Error).message}`, "Fix the syntax of that file (ssh_config format).");
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function parsePort(value: string | undefined, fallback: number, what: string, alias: string): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new RbeeError("INVALID_HOST_CONFIG", `${what} ${JSON.stringify(value)} for ${alias} is not a port number`, `Set ${what} to a number from 1 to 65535.`);
  }
  return port;
}

interface Tokens {
  alias: string;
  home: string;
  localUser: string;
  user: string;
  hostname: string;
}

/** The ssh_config tokens that appear in HostName and IdentityFile lines (%h %d %u %r %n %%, ~). */
function expandTokens(value: string, t: Tokens): string {
  const expanded = value.replace(/%([%hdurn])/g, (_, c: string) =>
    c === "%" ? "%" : c === "h" ? t.hostname : c === "d" ? t.home : c === "u" ? t.localUser : c === "r" ? t.user : t.alias,
  );
  if (expanded === "~") return t.home;
  return expanded.startsWith("~/") ? join(t.home, expanded.slice(2)) : expanded;
}

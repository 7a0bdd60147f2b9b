import { narrate } from "../narration/narrate.ts";
import { connectSsh, type HiveConnection } from "./connection.ts";
import { LocalConnection } from "./local-connection.ts";
import { localHome } from "./local-home.ts";
import { LAYOUT_SH } from "./remote-layout.ts";
import { LOCAL_ALIAS, resolveHost, resolveLocalHost, validateAlias, type ResolvedHost } from "./resolve-host.ts";
import { shScript } from "./shell-quote.ts";

/** Options every remote hive flow takes. */
export interface HiveSshOptions {
  signal?: AbortSignal;
  acceptNewHostKey?: boolean;
  /** Limit for connect + handshake + login (default 20 s). */
  connectTimeoutMs?: number;
  /** Environment to read HOME / RBEE_HOME / SSH_AUTH_SOCK from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface HiveSession {
  host: ResolvedHost;
  conn: HiveConnection;
  signal: AbortSignal;
  /** Runs a POSIX sh script remotely (after LAYOUT_SH); a non-zero exit is an error naming `what`. */
  sh: (what: string, script: string, stdin?: string) => Promise<string>;
  /** Like sh, but returns the exit code instead of failing. */
  shStatus: (script: string) => Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/**
 * Resolve → connect (host key checked) → run `fn` → close, whatever happens. The alias
 * `localhost` is this machine: the same flow runs with no SSH at all.
 */
export async function withHiveSession<T>(alias: string, opts: HiveSshOptions, signal: AbortSignal, fn: (s: HiveSession) => Promise<T>): Promise<T> {
  validateAlias(alias);
  const env = opts.env ?? process.env;
  let host: ResolvedHost;
  let conn: HiveConnection;
  if (alias === LOCAL_ALIAS) {
    host = resolveLocalHost(env);
    narrate("local_session", `${alias} is this machine (${host.user}, hive port ${host.hivePort}): no SSH`, { host: alias });
    conn = new LocalConnection(host, localHome(env), env);
  } else {
    host = resolveHost(alias, { env });
    narrate("ssh_resolve", `${alias} is ${host.user}@${host.hostname}:${host.port} (hive port ${host.hivePort})`, { host: alias });
    conn = await connectSsh(host, { signal, acceptNewHostKey: opts.acceptNewHostKey, readyTimeoutMs: opts.connectTimeoutMs, home: localHome(env) });
  }
  try {
    return await fn({
      host,
      conn,
      signal,
      sh: async (what, script, stdin) => (await conn.run(what, shScript(`${LAYOUT_SH}\n${script}`), { signal, ...(stdin !== undefined ? { stdin } : {}) })).stdout,
      shStatus: (script) => conn.exec(shScript(`${LAYOUT_SH}\n${script}`), { signal }),
    });
  } finally {
    conn.close();
  }
}

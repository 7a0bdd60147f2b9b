import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rbeePaths } from "../config/paths.ts";
import { narrate } from "../narration/narrate.ts";
import { fingerprint } from "../security/api-token.ts";
import type { HiveSession } from "./hive-session.ts";
import { R, tilde } from "./remote-layout.ts";
import { validateAlias } from "./resolve-host.ts";

const TOKEN_RE = /^[0-9a-f]{64}$/;

/** Where the keeper keeps the API token of one remote hive (mode 0600). */
export function localTokenPath(alias: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(rbeePaths(env).config, "hive-tokens", validateAlias(alias));
}

export function readLocalHiveToken(alias: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = localTokenPath(alias, env);
  if (!existsSync(path)) return undefined;
  const token = readFileSync(path, "utf8").trim();
  return TOKEN_RE.test(token) ? token : undefined;
}

export function writeLocalHiveToken(alias: string, token: string, env: NodeJS.ProcessEnv = process.env): void {
  const path = localTokenPath(alias, env);
  mkdirSync(join(path, ".."), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function removeLocalHiveToken(alias: string, env: NodeJS.ProcessEnv = process.env): void {
  rmSync(localTokenPath(alias, env), { force: true });
}


/**
 * Makes sure the hive and the keeper share one API token. The remote file is the truth: a
 * token already there is adopted (a running hive keeps working, another keeper keeps
 * access); otherwise a fresh 32-byte token is written remotely with umask 077 through a temp
 * file and mv, sent over stdin so it never appears on a command line. Returns true when a new
 * token was made.
 */
export async function provisionHiveToken(s: HiveSession, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const alias = s.host.alias;
  const existing = (await s.shStatus(`cat ${R.token} 2>/dev/null`)).stdout.trim();
  if (TOKEN_RE.test(existing)) {
    if (readLocalHiveToken(alias, env) !== existing) writeLocalHiveToken(alias, existing, env);
    narrate("hive_token", `API token already provisioned on ${alias} (${fingerprint(existing)})`);
    return false;
  }
  const token = randomBytes(32).toString("hex");
  await s.sh(
    "writing the hive API token",
    `umask 077 && mkdir -p ${R.configDir} && t=${R.configDir}/.hive.token.tmp-$$ && cat > "$t" && chmod 600 "$t" && mv -f "$t" ${R.token}`,
    `${token}\n`,
  );
  writeLocalHiveToken(alias, token, env);
  narrate("hive_token", `provisioned a new API token on ${alias} (${tilde("token")}, mode 0600; ${fingerprint(token)})`);
  return true;
}

import { createHash, timingSafeEqual } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { rbeePaths } from "../config/paths.ts";
import { RbeeError } from "../protocol/errors.ts";

/** Where a daemon reads its token when RBEE_API_TOKEN is not set (mode 0600). */
export const tokenFile = () => join(rbeePaths().config, "api.token");

/** The API token: RBEE_API_TOKEN, else the token file; undefined when neither is set. */
export function loadApiToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.RBEE_API_TOKEN) return env.RBEE_API_TOKEN;
  try {
    return readFileSync(env.RBEE_API_TOKEN_FILE || tokenFile(), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A short, safe name for a token in logs: never the token itself. */
export function fingerprint(token: string): string {
  return `sha256:${createHash("sha256").update(token).digest("hex").slice(0, 8)}`;
}

/**
 * Checks an Authorization header against the expected token in constant time (both
 * sides are hashed first, so lengths never leak through early exits).
 */
export function checkBearer(header: string | null | undefined, expected: string | string[]): void {
  const match = header?.match(/^Bearer\s+(.+)$/i);
  if (!match) throw new RbeeError("MISSING_API_KEY", "this route needs an API token", "Send `Authorization: Bearer <token>` (the keeper reads RBEE_API_TOKEN).", 401);
  const a = createHash("sha256").update(match[1].trim()).digest();
  let ok = false;
  for (const token of Array.isArray(expected) ? expected : [expected]) {
    ok = timingSafeEqual(a, createHash("sha256").update(token).digest()) || ok;
  }
  if (!ok) throw new RbeeError("INVALID_API_KEY", "the API token is not valid", "Check RBEE_API_TOKEN against the daemon's token.", 401);
}

/** Request headers carrying the token downstream (each hop sends its token on). */
export function authHeaders(token = loadApiToken()): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

const hiveTokensDir = () => join(rbeePaths().config, "hive-tokens");

/**
 * The token for calling a given hive: the one bound to it when it was provisioned (`rbee hive
 * install`, `rbee hive token`). Never the queen's own token: a hive holds no key to the queen.
 */
export function hiveToken(hiveId: string): string | undefined {
  try {
    return readFileSync(join(hiveTokensDir(), hiveId), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Every provisioned hive token with the hive id it is bound to. */
export function boundHiveTokens(): { hiveId: string; token: string }[] {
  try {
    return readdirSync(hiveTokensDir()).flatMap((hiveId) => {
      if (hiveId.includes(".tmp-")) return [];
      const token = readFileSync(join(hiveTokensDir(), hiveId), "utf8").trim();
      return token ? [{ hiveId, token }] : [];
    });
  } catch {
    return [];
  }
}

/** Every hive token provisioned from here (hives may use theirs to send heartbeats). */
export const allHiveTokens = (): string[] => boundHiveTokens().map((b) => b.token);

/** The hive whose token a request carries (timing-safe), if any, among `bound` (read once by the caller). */
export function hiveOfBearer(header: string | null | undefined, bound = boundHiveTokens()): string | undefined {
  const presented = header?.match(/^Bearer\s+(.+)$/i)?.[1].trim();
  if (!presented) return undefined;
  const a = createHash("sha256").update(presented).digest();
  let found: string | undefined;
  for (const { hiveId, token } of bound) {
    if (timingSafeEqual(a, createHash("sha256").update(token).digest())) found = hiveId;
  }
  return found;
}

/** The token a hive sends to its queen: RBEE_QUEEN_TOKEN, else its own. */
export const queenToken = (env: NodeJS.ProcessEnv = process.env) => env.RBEE_QUEEN_TOKEN || loadApiToken(env);

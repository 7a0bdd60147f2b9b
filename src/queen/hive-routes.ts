import { Hono } from "hono";
import { z } from "zod";
import { describeZodError, readJson } from "../http/errors.ts";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import { boundHiveTokens, hiveOfBearer } from "../security/api-token.ts";
import type { HiveDirectory } from "./hive-directory.ts";

const Heartbeat = z.object({
  hive_id: z.string().min(1).max(128).regex(/^[A-Za-z0-9._-]+$/),
  url: z.string().url().max(2048).refine((u) => /^https?:\/\//.test(u), "an http(s) URL"),
  workers: z.array(z.unknown()).max(1024).default([]),
  devices: z.array(z.string().max(64)).max(64).optional(),
});

/** How long a hive may be silent before it is shown offline. */
export const OFFLINE_AFTER_MS = 3_000;
/** How long an offline hive stays in the list by default (`rbee serve --prune-hives-after`). */
export const PRUNE_AFTER_MS = 3_600_000;
/** How long the queen waits for a new hive's /health before refusing its registration. */
const PROBE_TIMEOUT_MS = 2_000;

export interface HiveRouteOptions {
  /** The queen has a token of its own: then every heartbeat must carry its hive's token. */
  authenticated: boolean;
  pruneAfterMs?: number;
}

/**
 * Hives register and beat here; a sweeper marks silent ones offline and prunes long-gone ones.
 * A heartbeat speaks for one hive only: the one its token was bound to when provisioned.
 */
export function hiveRoutes(hives: HiveDirectory, opts: HiveRouteOptions): { routes: Hono; stop: () => void } {
  const routes = new Hono().post("/v1/hives/heartbeat", async (c) => {
    const parsed = Heartbeat.safeParse(await readJson(c));
    if (!parsed.success) throw new RbeeError("INVALID_HEARTBEAT", describeZodError(parsed.error));
    const { hive_id, url, workers, devices } = parsed.data;
    checkSpeaksFor(hive_id, c.req.header("authorization"), opts.authenticated);
    const before = hives.get(hive_id);
    if (before?.embedded) throw new RbeeError("HIVE_ID_TAKEN", `${hive_id} is the queen's embedded hive`, "Start the remote hive with another --hive-id.", 409);
    if (hives.pinnedUrl(hive_id) === undefined) await probeIsHive(hive_id, url);
    hives.seen(hive_id, url, { workers, ...(devices ? { devices } : {}) });
    if (!before) narrate("hive_registered", `hive ${hive_id} registered from ${url}`);
    else if (before.state === "offline") narrate("hive_online", `hive ${hive_id} is back online`);
    return c.json({ ok: true });
  });
  const pruneAfter = opts.pruneAfterMs ?? PRUNE_AFTER_MS;
  const sweeper = setInterval(() => {
    for (const h of hives.markSilent(OFFLINE_AFTER_MS)) narrate("hive_offline", `hive ${h.id} is offline (no heartbeat for ${OFFLINE_AFTER_MS / 1000} s)`, { level: "warn" });
    if (pruneAfter > 0) for (const h of hives.prune(OFFLINE_AFTER_MS + pruneAfter)) narrate("hive_pruned", `hive ${h.id} dropped from the list (offline for more than ${Math.round(pruneAfter / 1000)} s)`);
  }, 250);
  return { routes, stop: () => clearInterval(sweeper) };
}

/**
 * A hive token names its hive: it may beat for that hive only. A hive that has a token bound
 * to it must use that token. On a queen with a token, nothing else may register a hive (its
 * own master token is not a hive's: the queen would have no token to call that hive with).
 */
function checkSpeaksFor(hiveId: string, authorization: string | undefined, authenticated: boolean): void {
  // One read of the bound tokens answers both questions: whose token this is, and whether the hive has one.
  const bound = boundHiveTokens();
  const owner = hiveOfBearer(authorization, bound);
  if (owner !== undefined && owner !== hiveId) {
    throw new RbeeError("HIVE_TOKEN_MISMATCH", `this token belongs to hive ${owner}; it cannot speak for hive ${hiveId}`, "Each hive sends heartbeats for itself only, with the token it was installed with.", 403);
  }
  if (owner === undefined && (authenticated || bound.some((b) => b.hiveId === hiveId))) {
    throw new RbeeError("HIVE_TOKEN_REQUIRED", `heartbeats for hive ${hiveId} must carry the token bound to that hive`, `Install the hive with \`rbee hive install --host ${hiveId}\`, or bind a token to it with \`rbee hive token ${hiveId}\` and start it with RBEE_API_TOKEN set to that token.`, 403);
  }
}

/** A new hive's URL must answer as a hive: never the queen itself (a loop) or another queen. */
async function probeIsHive(hiveId: string, url: string): Promise<void> {
  let role: unknown;
  try {
    const res = await fetch(new URL("/health", url), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), redirect: "manual" });
    role = ((await res.json()) as { role?: unknown }).role;
  } catch {
    throw new RbeeError("HIVE_URL_UNREACHABLE", `hive ${hiveId}'s URL ${url} does not answer /health from the queen`, "Give the hive an address the queen can reach (--advertise-url).", 400);
  }
  if (role !== "hive") {
    throw new RbeeError("HIVE_URL_NOT_A_HIVE", `hive ${hiveId}'s URL ${url} answers as ${role === "queen" ? "a queen" : "something other than a hive"}; refusing it (it would loop or leak requests)`, "Point --advertise-url at the hive's own port.", 400);
  }
}

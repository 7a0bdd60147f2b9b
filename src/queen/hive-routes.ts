import { Hono } from "hono";
import { z } from "zod";
import { describeZodError, readJson } from "../http/errors.ts";
import { narrate } from "../narration/narrate.ts";
import { RbeeError } from "../protocol/errors.ts";
import type { HiveDirectory } from "./hive-directory.ts";

const Heartbeat = z.object({
  hive_id: z.string().min(1).max(128).regex(/^[A-Za-z0-9._-]+$/),
  url: z.string().url().max(2048),
  workers: z.array(z.unknown()).max(1024).default([]),
  devices: z.array(z.string().max(64)).max(64).optional(),
});

/** How long a hive may be silent before it is shown offline. */
export const OFFLINE_AFTER_MS = 3_000;

/** Hives register and beat here; a sweeper marks silent ones offline. */
export function hiveRoutes(hives: HiveDirectory): { routes: Hono; stop: () => void } {
  const routes = new Hono().post("/v1/hives/heartbeat", async (c) => {
    const parsed = Heartbeat.safeParse(await readJson(c));
    if (!parsed.success) throw new RbeeError("INVALID_HEARTBEAT", describeZodError(parsed.error));
    const { hive_id, url, workers, devices } = parsed.data;
    const before = hives.get(hive_id);
    if (before?.embedded) throw new RbeeError("HIVE_ID_TAKEN", `${hive_id} is the queen's embedded hive`, "Start the remote hive with another --hive-id.", 409);
    hives.seen(hive_id, url, { workers, ...(devices ? { devices } : {}) });
    if (!before) narrate("hive_registered", `hive ${hive_id} registered from ${url}`);
    else if (before.state === "offline") narrate("hive_online", `hive ${hive_id} is back online`);
    return c.json({ ok: true });
  });
  const sweeper = setInterval(() => {
    for (const h of hives.markSilent(OFFLINE_AFTER_MS)) narrate("hive_offline", `hive ${h.id} is offline (no heartbeat for ${OFFLINE_AFTER_MS / 1000} s)`, { level: "warn" });
  }, 250);
  return { routes, stop: () => clearInterval(sweeper) };
}

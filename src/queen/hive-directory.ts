import { RbeeError } from "../protocol/errors.ts";
import type { Executor, ExecutorContext } from "../jobs/job-runner.ts";
import type { Operation } from "../protocol/operations.ts";
import { forwardToHive } from "./forward.ts";
import type { HivePins } from "./hive-pins.ts";

export type HiveState = "online" | "offline";

export interface HiveEntry {
  id: string;
  url?: string;
  state: HiveState;
  last_seen?: number;
  embedded: boolean;
  telemetry?: unknown;
  /** What `rbee hive list` shows: the hive's devices and its workers, as last known. */
  devices?: string[];
  workers?: number;
}

/** What the embedded hive tells about itself (remote hives say it in their heartbeats). */
export type DescribeHive = () => { devices?: string[]; workers: number };

/** Every hive the queen knows: the embedded local one, and remote ones that registered. */
export class HiveDirectory {
  private readonly hives = new Map<string, HiveEntry & { executor?: Executor; describe?: DescribeHive }>();

  /** `pins` fixes each remote hive's URL at its first registration (none: nothing is pinned). */
  constructor(private readonly pins?: HivePins) {}

  addEmbedded(id: string, executor: Executor, describe?: DescribeHive): void {
    this.hives.set(id, { id, state: "online", embedded: true, executor, describe, last_seen: Date.now() });
  }

  /** The URL a hive is pinned to, if it registered before. */
  pinnedUrl(id: string): string | undefined {
    return this.pins?.get(id);
  }

  /**
   * A remote hive said hello (or sent a heartbeat). Its first URL is pinned: a heartbeat
   * that names another URL is refused until the operator forgets the hive.
   */
  seen(id: string, url: string, telemetry?: unknown): HiveEntry {
    const pinned = this.pins?.get(id);
    if (pinned !== undefined && pinned !== url) {
      throw new RbeeError("HIVE_URL_PINNED", `hive ${id} is registered at ${pinned}; a heartbeat may not move it to another URL`, `If the hive really moved, run \`rbee hive forget ${id}\` on the queen's machine; it registers again on its next heartbeat.`, 409);
    }
    if (pinned === undefined) this.pins?.set(id, url);
    const entry = { ...(this.hives.get(id) ?? { embedded: false }), id, url, state: "online" as const, last_seen: Date.now(), ...(telemetry ? { telemetry } : {}) };
    this.hives.set(id, entry);
    return entry;
  }

  /** The operator's word: drop a remote hive and its URL pin. Returns whether it was known. */
  forget(id: string): boolean {
    if (this.hives.get(id)?.embedded) throw new RbeeError("HIVE_EMBEDDED", `${id} is the queen's embedded hive`, "Only remote hives can be forgotten.", 409);
    const known = this.hives.delete(id);
    return (this.pins?.delete(id) ?? false) || known;
  }

  /** Drops offline hives silent for longer than `ms` from the list (their URL pins stay). */
  prune(ms: number, now = Date.now()): HiveEntry[] {
    const gone: HiveEntry[] = [];
    for (const h of this.hives.values()) {
      if (h.embedded || h.state !== "offline" || now - (h.last_seen ?? 0) <= ms) continue;
      this.hives.delete(h.id);
      gone.push(h);
    }
    return gone;
  }

  /** Marks hives silent for longer than `ms` offline; returns those that changed. */
  markSilent(ms: number, now = Date.now()): HiveEntry[] {
    const changed: HiveEntry[] = [];
    for (const h of this.hives.values()) {
      if (h.embedded || h.state === "offline" || now - (h.last_seen ?? 0) <= ms) continue;
      h.state = "offline";
      changed.push(h);
    }
    return changed;
  }

  list(): HiveEntry[] {
    return [...this.hives.values()].map(({ executor: _e, describe, ...entry }) => {
      if (describe) return { ...entry, last_seen: Date.now(), ...describe() };
      const t = entry.telemetry as { workers?: unknown[]; devices?: string[] } | undefined;
      return { ...entry, ...(t?.devices ? { devices: t.devices } : {}), ...(t?.workers ? { workers: t.workers.length } : {}) };
    });
  }

  get(id: string): HiveEntry | undefined {
    return this.hives.get(id);
  }

  /** Runs a hive operation on its hive: in-process when embedded, forwarded otherwise. */
  run(hiveId: string, op: Operation, ctx: ExecutorContext): Promise<unknown> {
    const hive = this.hives.get(hiveId);
    if (!hive) {
      const known = [...this.hives.keys()].join(", ") || "none";
      return Promise.reject(new RbeeError("UNKNOWN_HIVE", `no hive named ${hiveId} (known: ${known})`, "Install one with `rbee hive install --host ALIAS`, or see `rbee hive list`.", 404));
    }
    if (hive.executor) return hive.executor(op, ctx);
    if (hive.state === "offline") {
      return Promise.reject(new RbeeError("HIVE_OFFLINE", `hive ${hiveId} is offline (last seen ${Math.round((Date.now() - (hive.last_seen ?? 0)) / 1000)} s ago)`, `Start it with \`rbee hive start --host ${hiveId}\`.`, 503));
    }
    return forwardToHive(hiveId, hive.url!, op, ctx.signal, ctx.deadline);
  }
}

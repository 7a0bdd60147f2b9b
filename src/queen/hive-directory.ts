import { RbeeError } from "../protocol/errors.ts";
import type { Executor, ExecutorContext } from "../jobs/job-runner.ts";
import type { Operation } from "../protocol/operations.ts";
import { forwardToHive } from "./forward.ts";

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

  addEmbedded(id: string, executor: Executor, describe?: DescribeHive): void {
    this.hives.set(id, { id, state: "online", embedded: true, executor, describe, last_seen: Date.now() });
  }

  /** A remote hive said hello (or sent a heartbeat). */
  seen(id: string, url: string, telemetry?: unknown): HiveEntry {
    const entry = { ...(this.hives.get(id) ?? { embedded: false }), id, url, state: "online" as const, last_seen: Date.now(), ...(telemetry ? { telemetry } : {}) };
    this.hives.set(id, entry);
    return entry;
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
